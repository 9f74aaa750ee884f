package org.align4j.align.cpo;

import java.util.Map;

/**
 * A reference-free preference loss on the policy's sequence log-probabilities of n (chosen, rejected) pairs, in
 * double precision, with its analytic gradient ({@link CpoLoss}, {@link OrpoLoss}). The trainer's total loss is
 * mean_i(loss_i) + {@link #nllWeight()}·NLL, NLL the mean negative log-likelihood of the chosen tokens.
 */
public interface PairLoss {

    /**
     * The loss of one batch.
     *
     * @param losses          loss_i per pair
     * @param chosenGradient  d mean(loss) / d r(y_w) per pair
     * @param rejectedGradient d mean(loss) / d r(y_l) per pair
     * @param chosenRewards   the logged reward of each chosen response (β·r, detached)
     * @param rejectedRewards the logged reward of each rejected response
     * @param metrics         the loss's own metrics beyond TRL's common ones (ORPO's log odds)
     */
    record Result(double[] losses, double[] chosenGradient, double[] rejectedGradient, double[] chosenRewards,
                  double[] rejectedRewards, Map<String, Double> metrics) {
    }

    /** The loss of pairs whose sequence log-probabilities are {@code chosen} and {@code rejected}. */
    Result compute(double[] chosen, double[] rejected);

    /** Whether r is the mean token log-probability of a completion (else the sum). */
    boolean averagesTokens();

    /** The weight of the chosen responses' negative log-likelihood in the total loss. */
    double nllWeight();

    /** Whether the negative log-likelihood covers the prompt tokens too (ORPO), or the completion only (CPO). */
    boolean nllOverPrompt();
}
