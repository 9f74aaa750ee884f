package org.align4j.align.sft;

import java.util.List;
import org.align4j.data.DataException;
import org.align4j.data.Example;
import org.align4j.data.RewardTokenization;

/**
 * Preferred-FT, the baseline of Rafailov et al. 2023 ("Direct Preference Optimization", section 6): supervised
 * fine-tuning on the chosen response of each preference pair, the rejected one ignored. It has no loss of its own:
 * {@link #examples} turns the pairs into SFT examples ({@link RewardTokenization#chosenExample}: prompt-completion, so
 * that with TRL's default {@code completion_only_loss} only the response is trained on; the whole chosen text when the
 * prompt is implicit), which {@link org.align4j.data.SftTokenization} tokenizes and {@link SftTask} trains.
 */
public final class PreferredFineTuning {
    private PreferredFineTuning() {
    }

    /**
     * The SFT examples of {@code preferences}, in order.
     *
     * @throws DataException naming the example for anything but a text preference pair (pre-tokenized pairs have no
     *                       SFT example form)
     */
    public static List<Example> examples(List<Example> preferences) {
        return preferences.stream().map(e -> {
            if (e instanceof Example.Preference p) {
                return RewardTokenization.chosenExample(p);
            }
            throw new DataException(e.source() + ": Preferred-FT needs preference pairs (prompt?, chosen, rejected)"
                    + " of text or messages, got " + e.getClass().getSimpleName());
        }).toList();
    }
}
