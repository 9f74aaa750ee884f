package org.align4j.align.kto;

import java.util.ArrayList;
import java.util.List;
import org.align4j.data.DataException;
import org.align4j.data.Example;
import org.align4j.data.PreferenceTokenization;
import org.align4j.data.Text;

/**
 * KTO's dataset as TRL's {@code KTOTrainer._prepare_dataset} builds it from unpaired examples (text, or
 * {@code prompt_ids} and {@code completion_ids}): paired preference data is unpaired first
 * (TRL's {@code unpair_preference_dataset}: in map batches of 1000 pairs, the batch's chosen completions labelled
 * true, then its rejected ones labelled false); each (prompt, completion) is tokenized as one side of a DPO pair
 * ({@link PreferenceTokenization}: EOS appended to text completions); an example whose prompt alone reaches
 * {@code max_length} is dropped; and for the kto loss each example gets the completion of the previous example of
 * its micro-batch of {@code per_device_train_batch_size} (the first one the last one's) as its mismatched pair.
 */
public final class KtoData {
    /** TRL's {@code datasets.map} batch size when unpairing. */
    private static final int UNPAIR_BATCH = 1000;

    private KtoData() {
    }

    /** An unpaired example before tokenization. */
    private record Unpaired(String source, Text prompt, Text completion, int[] promptIds, int[] completionIds,
                            boolean label) {
    }

    /** The prepared examples, and how many were dropped. */
    public record Prepared(List<KtoExample> examples, int dropped, int desirable) {
    }

    /**
     * The examples of {@code dataset} prepared for training.
     *
     * @param batchSize the micro-batch size the mismatched pairs are rotated within
     * @param withKl    whether the mismatched pairs are built (loss type kto)
     * @throws DataException for an example of another kind, or a dataset mixing paired and unpaired examples
     */
    public static Prepared prepare(PreferenceTokenization tokenization, List<Example> dataset, int batchSize,
                                   boolean withKl) {
        List<Unpaired> unpaired = unpair(dataset);
        List<Unpaired> kept = new ArrayList<>();
        List<int[]> prompts = new ArrayList<>();
        List<int[]> completions = new ArrayList<>();
        int dropped = 0;
        for (Unpaired u : unpaired) {
            int[] prompt = u.promptIds();
            int[] completion = u.completionIds();
            if (prompt == null) {
                PreferenceTokenization.PromptCompletionIds ids = tokenization.ids(u.source(), u.prompt(),
                        u.completion());
                prompt = ids.prompt();
                completion = ids.completion();
            }
            if (tokenization.drops(prompt.length)) {
                dropped++;
                continue;
            }
            if (completion.length == 0 || prompt.length == 0 && completion.length == 1) {
                throw new DataException(u.source() + ": the completion has no token to score");
            }
            kept.add(u);
            prompts.add(prompt);
            completions.add(completion);
        }
        List<KtoExample> examples = new ArrayList<>(kept.size());
        int desirable = 0;
        for (int i = 0; i < kept.size(); i++) {
            Unpaired u = kept.get(i);
            int chunkStart = i / batchSize * batchSize;
            int chunkEnd = Math.min(kept.size(), chunkStart + batchSize);
            int other = i == chunkStart ? chunkEnd - 1 : i - 1;
            examples.add(new KtoExample(tokenization.sequence(prompts.get(i), completions.get(i), u.source()),
                    withKl ? tokenization.sequence(prompts.get(i), completions.get(other), u.source()) : null,
                    u.label()));
            desirable += u.label() ? 1 : 0;
        }
        return new Prepared(examples, dropped, desirable);
    }

    private static List<Unpaired> unpair(List<Example> dataset) {
        List<Unpaired> out = new ArrayList<>();
        boolean paired = !(dataset.getFirst() instanceof Example.UnpairedPreference
                || dataset.getFirst() instanceof Example.TokenizedUnpairedPreference);
        for (int from = 0; from < dataset.size(); from += UNPAIR_BATCH) {
            List<Example> batch = dataset.subList(from, Math.min(dataset.size(), from + UNPAIR_BATCH));
            List<Unpaired> rejected = new ArrayList<>();
            for (Example example : batch) {
                switch (example) {
                    case Example.UnpairedPreference u when !paired -> out.add(new Unpaired(u.source(), u.prompt(),
                            u.completion(), null, null, u.label()));
                    case Example.TokenizedUnpairedPreference u when !paired -> out.add(new Unpaired(u.source(), null,
                            null, u.promptIds(), u.completionIds(), u.label()));
                    case Example.Preference p when paired -> {
                        Example.Preference e = PreferenceTokenization.withExplicitPrompt(p);
                        out.add(new Unpaired(e.source(), e.prompt(), e.chosen(), null, null, true));
                        rejected.add(new Unpaired(e.source(), e.prompt(), e.rejected(), null, null, false));
                    }
                    case Example.TokenizedPreference t when paired -> {
                        out.add(new Unpaired(t.source(), null, null, t.promptIds(), t.chosenIds(), true));
                        rejected.add(new Unpaired(t.source(), null, null, t.promptIds(), t.rejectedIds(), false));
                    }
                    default -> throw new DataException(example.source() + ": KTO needs unpaired examples {prompt, "
                            + "completion, label} or preference pairs throughout, got "
                            + example.getClass().getSimpleName() + " after "
                            + (paired ? "pairs" : "unpaired examples"));
                }
            }
            out.addAll(rejected);
        }
        return out;
    }
}
