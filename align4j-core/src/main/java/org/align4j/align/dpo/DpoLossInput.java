package org.align4j.align.dpo;

/**
 * The per-sequence inputs of the preference losses for a batch of n (prompt, chosen, rejected) pairs, in double
 * precision. Log-probabilities are over completion tokens only (as TRL's {@code completion_mask}), already reduced
 * by {@link CompletionLogpReduction} (plain sums, or LD-DPO's weighted sums).
 *
 * @param policyChosenLogps         log π_θ(y_w | x) per pair
 * @param policyRejectedLogps       log π_θ(y_l | x) per pair
 * @param refChosenLogps            log π_ref(y_w | x) per pair (ignored with {@code reference_free})
 * @param refRejectedLogps          log π_ref(y_l | x) per pair (ignored with {@code reference_free})
 * @param chosenLengths             number of completion tokens of each chosen response (ipo, sigmoid_norm, sft)
 * @param rejectedLengths           number of completion tokens of each rejected response (ipo, sigmoid_norm)
 * @param policyChosenTokenLogpSums plain sum of the chosen completion-token log-probabilities under the policy, the
 *                                  input of the {@code sft} loss; equal to {@code policyChosenLogps} unless LD-DPO
 *                                  reweighted those
 * @param chosenWeights             WPO weight of each chosen response ({@link WpoWeighting}), or null without
 *                                  {@code use_weighting}
 * @param rejectedWeights           WPO weight of each rejected response, or null without {@code use_weighting}
 */
public record DpoLossInput(double[] policyChosenLogps, double[] policyRejectedLogps, double[] refChosenLogps,
                        double[] refRejectedLogps, int[] chosenLengths, int[] rejectedLengths,
                        double[] policyChosenTokenLogpSums, double[] chosenWeights, double[] rejectedWeights) {

    /** Validates sizes and values, and copies the arrays. */
    public DpoLossInput {
        int n = length("policy_chosen_logps", policyChosenLogps);
        if (n == 0) {
            throw new IllegalArgumentException("a preference batch needs at least one pair");
        }
        policyChosenLogps = finiteCopy("policy_chosen_logps", policyChosenLogps, n);
        policyRejectedLogps = finiteCopy("policy_rejected_logps", policyRejectedLogps, n);
        refChosenLogps = finiteCopy("ref_chosen_logps", refChosenLogps, n);
        refRejectedLogps = finiteCopy("ref_rejected_logps", refRejectedLogps, n);
        chosenLengths = lengthsCopy("chosen_lengths", chosenLengths, n);
        rejectedLengths = lengthsCopy("rejected_lengths", rejectedLengths, n);
        policyChosenTokenLogpSums = finiteCopy("policy_chosen_token_logp_sums", policyChosenTokenLogpSums, n);
        if ((chosenWeights == null) != (rejectedWeights == null)) {
            throw new IllegalArgumentException("WPO weights need both chosen and rejected weights, or neither");
        }
        if (chosenWeights != null) {
            chosenWeights = weightsCopy("chosen_weights", chosenWeights, n);
            rejectedWeights = weightsCopy("rejected_weights", rejectedWeights, n);
        }
    }

    /**
     * A batch without WPO weights whose {@code sft} input is the chosen log-probabilities themselves (no LD-DPO).
     */
    public static DpoLossInput of(double[] policyChosenLogps, double[] policyRejectedLogps, double[] refChosenLogps,
                               double[] refRejectedLogps, int[] chosenLengths, int[] rejectedLengths) {
        return new DpoLossInput(policyChosenLogps, policyRejectedLogps, refChosenLogps, refRejectedLogps, chosenLengths,
                rejectedLengths, policyChosenLogps, null, null);
    }

    /** This batch with WPO weights for its chosen and rejected responses. */
    public DpoLossInput withWpoWeights(double[] chosen, double[] rejected) {
        return new DpoLossInput(policyChosenLogps, policyRejectedLogps, refChosenLogps, refRejectedLogps, chosenLengths,
                rejectedLengths, policyChosenTokenLogpSums, chosen, rejected);
    }

    /** This batch with another {@code sft} input (the plain chosen token log-probability sums). */
    public DpoLossInput withChosenTokenLogpSums(double[] sums) {
        return new DpoLossInput(policyChosenLogps, policyRejectedLogps, refChosenLogps, refRejectedLogps, chosenLengths,
                rejectedLengths, sums, chosenWeights, rejectedWeights);
    }

    /** Number of pairs. */
    public int size() {
        return policyChosenLogps.length;
    }

    /** Whether WPO weights are present. */
    public boolean hasWpoWeights() {
        return chosenWeights != null;
    }

    private static int length(String name, double[] values) {
        if (values == null) {
            throw new IllegalArgumentException(name + " is null");
        }
        return values.length;
    }

    private static double[] finiteCopy(String name, double[] values, int n) {
        if (length(name, values) != n) {
            throw new IllegalArgumentException(name + " has " + values.length + " entries for " + n + " pairs");
        }
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException(name + "[" + i + "] is " + values[i]);
            }
        }
        return values.clone();
    }

    private static double[] weightsCopy(String name, double[] values, int n) {
        double[] copy = finiteCopy(name, values, n);
        for (int i = 0; i < n; i++) {
            if (copy[i] < 0) {
                throw new IllegalArgumentException(name + "[" + i + "] is negative: " + copy[i]);
            }
        }
        return copy;
    }

    private static int[] lengthsCopy(String name, int[] values, int n) {
        if (values == null) {
            throw new IllegalArgumentException(name + " is null");
        }
        if (values.length != n) {
            throw new IllegalArgumentException(name + " has " + values.length + " entries for " + n + " pairs");
        }
        for (int i = 0; i < n; i++) {
            if (values[i] < 0) {
                throw new IllegalArgumentException(name + "[" + i + "] is negative: " + values[i]);
            }
        }
        return values.clone();
    }
}
