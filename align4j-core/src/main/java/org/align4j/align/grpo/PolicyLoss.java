package org.align4j.align.grpo;

import java.util.Map;

/**
 * A loss of the online trainers over a micro-batch of sampled completions, computed in double precision with its
 * analytic gradient with respect to every completion token's log-probability ({@link GrpoLoss}, {@link RlooLoss}).
 */
public interface PolicyLoss {

    /**
     * The loss of one micro-batch.
     *
     * @param loss     the value, before the trainer divides it by the micro-batches of the optimizer step
     * @param gradient d loss / d log π_θ(token t of completion i), shaped as the input's {@code logps}
     * @param metrics  TRL's metrics of the loss ({@code kl}, {@code clip_ratio/...})
     */
    record Result(double loss, double[][] gradient, Map<String, Double> metrics) {
    }

    /**
     * The loss of {@code batch}.
     *
     * @param globalTokens  active tokens of the whole generation batch the micro-batch was cut from (dapo's
     *                      normaliser)
     * @param accumulation  micro-batches in the optimizer step (the trainer divides the loss by it; losses normalised
     *                      globally multiply it back, as TRL leaves them unscaled)
     */
    Result compute(CompletionLogps batch, int globalTokens, int accumulation);
}
