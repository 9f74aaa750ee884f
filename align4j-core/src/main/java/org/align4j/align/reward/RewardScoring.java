package org.align4j.align.reward;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.align4j.data.Example;
import org.align4j.data.PreferencePair;
import org.align4j.data.RewardTokenization;
import org.align4j.data.SftTokenization;
import org.align4j.model.RewardModel;
import org.align4j.tokenizer.Tokenizer;

/**
 * A reward model's scores of examples, as {@code align4j reward} writes them: a preference pair gets {@code r_chosen},
 * {@code r_rejected} and {@code chosen_wins} (r_chosen > r_rejected, the Bradley-Terry model's preferred side); a
 * {@code text} / {@code messages} or {@code prompt}/{@code completion} example gets one {@code reward}. Sequences are
 * tokenized as {@code rm} tokenizes them for training (prompt + response as one text, EOS appended) and scored in
 * right-padded batches of {@code batch_size} examples (a pair's two sequences in the same batch), so that scoring a
 * file in whole batches anywhere gives the same numbers.
 */
public final class RewardScoring {
    private final RewardModel model;
    private final RewardTokenization tokenization;

    /** Scores with {@code model} (its pad id set from {@code tokenizer} when it has none) reading {@code tokenizer}'s ids. */
    public RewardScoring(RewardModel model, Tokenizer tokenizer) {
        this.model = model.padTokenId().isEmpty() ? model.withPadTokenId(tokenizer.paddingId(null)) : model;
        this.tokenization = new RewardTokenization(new SftTokenization(tokenizer, true));
    }

    /** The score line of every example, in order, running the model on batches of {@code batchSize} examples. */
    public List<ObjectNode> score(List<Example> examples, int batchSize) {
        List<ObjectNode> rows = new ArrayList<>(examples.size());
        for (int from = 0; from < examples.size(); from += batchSize) {
            List<Example> batch = examples.subList(from, Math.min(examples.size(), from + batchSize));
            List<int[]> sequences = new ArrayList<>(2 * batch.size());
            for (Example e : batch) {
                if (isPair(e)) {
                    PreferencePair pair = tokenization.wholeTexts(e);
                    sequences.add(pair.chosen().ids());
                    sequences.add(pair.rejected().ids());
                } else {
                    sequences.add(tokenization.wholeText(e).ids());
                }
            }
            double[] rewards = model.score(sequences);
            int next = 0;
            for (Example e : batch) {
                ObjectNode row = JsonNodeFactory.instance.objectNode().put("source", e.source());
                if (isPair(e)) {
                    double chosen = rewards[next++];
                    double rejected = rewards[next++];
                    row.put("r_chosen", chosen).put("r_rejected", rejected).put("chosen_wins", chosen > rejected);
                } else {
                    row.put("reward", rewards[next++]);
                }
                rows.add(row);
            }
        }
        return rows;
    }

    private static boolean isPair(Example e) {
        return e instanceof Example.Preference || e instanceof Example.TokenizedPreference;
    }
}
