package org.align4j.align.grpo;

import java.util.Map;

/**
 * One sampled completion as the online losses take it: the prompt and completion tokens, the completion's
 * advantage, and the log-probabilities recorded when it was sampled.
 *
 * @param promptIndex   the prompt's index in the training set
 * @param promptIds     the prompt's token ids
 * @param completionIds the completion's token ids, up to and including its eos token
 * @param advantage     its advantage ({@link GroupAdvantages})
 * @param masked        whether it is left out of the loss ({@code mask_truncated_completions} and no eos)
 * @param oldLogps      log π_θold per completion token at sampling time, or null (the current values are used)
 * @param refLogps      log π_ref per completion token, or null (β = 0)
 * @param context       what the micro-batch holding it shares
 */
public record GrpoSample(int promptIndex, int[] promptIds, int[] completionIds, double advantage, boolean masked,
                         double[] oldLogps, double[] refLogps, Context context) {

    /**
     * What the samples of one micro-batch share.
     *
     * @param globalTokens      active completion tokens of the generation batch (dapo's normaliser)
     * @param accumulation      micro-batches in the optimizer step holding this micro-batch
     * @param generationMetrics the generation batch's metrics (rewards, completion lengths), logged with each of its
     *                          micro-batches
     * @param countsTokens      whether the micro-batch's tokens count towards {@code num_tokens} (its first use;
     *                          {@code num_iterations} reuses it)
     */
    public record Context(int globalTokens, int accumulation, Map<String, Double> generationMetrics,
                          boolean countsTokens) {
    }

    /** This sample in the micro-batch {@code context}. */
    GrpoSample in(Context context) {
        return new GrpoSample(promptIndex, promptIds, completionIds, advantage, masked, oldLogps, refLogps, context);
    }
}
