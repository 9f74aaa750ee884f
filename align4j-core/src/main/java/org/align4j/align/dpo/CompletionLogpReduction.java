package org.align4j.align.dpo;

import org.align4j.InputException;

/**
 * How TRL turns the per-token log-probabilities of a preference batch into per-sequence log-probabilities, as a
 * fixed linear map: log π(y) = Σ_t c_t · log π(y_t | ·) over each sequence's positions, with c_t = 0 outside the
 * completion. Without {@code ld_alpha}, c_t = 1 on every completion token (a plain sum). With LD-DPO (Liu et al. 2024,
 * "Length Desensitization in Directed Preference Optimization", arXiv 2409.06411; TRL's {@code ld_alpha}), the first
 * min(|y_w|, |y_l|) completion tokens of both responses of a pair (the shared length) keep c_t = 1 and the longer
 * response's extra "verbose" tokens get c_t = α, so log π(y) = shared + α · tail; the same map applies to the policy
 * and to the reference.
 *
 * <p>Because the map is linear, its gradient is its coefficients: {@link #tokenGradients} turns the per-sequence
 * gradients of a {@link DpoLoss.Result} into per-token weights (adding the {@code sft} term's gradient, which flows to
 * every chosen completion token with coefficient 1) for one {@code Ops.weightedSum} over the token log-probabilities.
 *
 * <p>Token arrays are indexed [pair][position]; rows may have any length but each must match its mask row. Values at
 * positions outside the completion mask are ignored (TRL sets them to 0).
 */
public final class CompletionLogpReduction {
    private final boolean[][] chosenMask;
    private final boolean[][] rejectedMask;
    private final double[][] chosenCoefficients;
    private final double[][] rejectedCoefficients;
    private final int[] chosenLengths;
    private final int[] rejectedLengths;

    private CompletionLogpReduction(boolean[][] chosenMask, boolean[][] rejectedMask, double tailCoefficient,
                                    boolean lengthDesensitized) {
        if (chosenMask == null || rejectedMask == null || chosenMask.length != rejectedMask.length) {
            throw new IllegalArgumentException("chosen and rejected completion masks need one row per pair each");
        }
        int n = chosenMask.length;
        this.chosenMask = copy(chosenMask, "chosen");
        this.rejectedMask = copy(rejectedMask, "rejected");
        chosenLengths = new int[n];
        rejectedLengths = new int[n];
        for (int i = 0; i < n; i++) {
            chosenLengths[i] = count(this.chosenMask[i]);
            rejectedLengths[i] = count(this.rejectedMask[i]);
        }
        chosenCoefficients = new double[n][];
        rejectedCoefficients = new double[n][];
        for (int i = 0; i < n; i++) {
            int shared = lengthDesensitized ? Math.min(chosenLengths[i], rejectedLengths[i]) : Integer.MAX_VALUE;
            chosenCoefficients[i] = coefficients(this.chosenMask[i], shared, tailCoefficient);
            rejectedCoefficients[i] = coefficients(this.rejectedMask[i], shared, tailCoefficient);
        }
    }

    /** Plain sums over the completion tokens (TRL without {@code ld_alpha}). */
    public static CompletionLogpReduction sum(boolean[][] chosenMask, boolean[][] rejectedMask) {
        return new CompletionLogpReduction(chosenMask, rejectedMask, 1, false);
    }

    /** LD-DPO's shared + α · tail sums (TRL's {@code ld_alpha} = α, in [0, 1]). */
    public static CompletionLogpReduction lengthDesensitized(boolean[][] chosenMask, boolean[][] rejectedMask,
                                                             double alpha) {
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new InputException("ld_alpha must be in [0, 1], got " + alpha);
        }
        return new CompletionLogpReduction(chosenMask, rejectedMask, alpha, true);
    }

    /** The reduction {@code config} asks for: LD-DPO when {@code ld_alpha} is set, plain sums otherwise. */
    public static CompletionLogpReduction of(DpoLossConfig config, boolean[][] chosenMask, boolean[][] rejectedMask) {
        return config.ldAlpha() != null
                ? lengthDesensitized(chosenMask, rejectedMask, config.ldAlpha())
                : sum(chosenMask, rejectedMask);
    }

    /** Number of pairs. */
    public int size() {
        return chosenLengths.length;
    }

    /** The per-sequence log-probabilities of the chosen responses. */
    public double[] chosenLogps(double[][] chosenTokenLogps) {
        return reduce(chosenTokenLogps, chosenMask, chosenCoefficients, "chosen");
    }

    /** The per-sequence log-probabilities of the rejected responses. */
    public double[] rejectedLogps(double[][] rejectedTokenLogps) {
        return reduce(rejectedTokenLogps, rejectedMask, rejectedCoefficients, "rejected");
    }

    /** The plain sums of the chosen completion-token log-probabilities (the {@code sft} loss's input). */
    public double[] chosenTokenLogpSums(double[][] chosenTokenLogps) {
        double[][] ones = new double[chosenMask.length][];
        for (int i = 0; i < ones.length; i++) {
            ones[i] = coefficients(chosenMask[i], Integer.MAX_VALUE, 1);
        }
        return reduce(chosenTokenLogps, chosenMask, ones, "chosen");
    }

    /** Number of completion tokens of each chosen response. */
    public int[] chosenLengths() {
        return chosenLengths.clone();
    }

    /** Number of completion tokens of each rejected response. */
    public int[] rejectedLengths() {
        return rejectedLengths.clone();
    }

    /** The coefficient c_t of each chosen token (0 outside the completion). */
    public double[][] chosenCoefficients() {
        return deepCopy(chosenCoefficients);
    }

    /** The coefficient c_t of each rejected token (0 outside the completion). */
    public double[][] rejectedCoefficients() {
        return deepCopy(rejectedCoefficients);
    }

    /**
     * The {@link DpoLossInput} of per-token policy and reference log-probabilities: reduced sequence log-probabilities,
     * completion lengths and the plain chosen sums for {@code sft}; no WPO weights (add them with
     * {@link DpoLossInput#withWpoWeights}).
     */
    public DpoLossInput batch(double[][] policyChosen, double[][] policyRejected, double[][] refChosen,
                           double[][] refRejected) {
        return batch(policyChosen, policyRejected, chosenLogps(refChosen), rejectedLogps(refRejected));
    }

    /**
     * The {@link DpoLossInput} of per-token policy log-probabilities and reference sequence log-probabilities already
     * reduced by this reduction (e.g. precomputed); no WPO weights.
     */
    public DpoLossInput batch(double[][] policyChosen, double[][] policyRejected, double[] refChosenLogps,
                           double[] refRejectedLogps) {
        return new DpoLossInput(chosenLogps(policyChosen), rejectedLogps(policyRejected), refChosenLogps,
                refRejectedLogps, chosenLengths, rejectedLengths, chosenTokenLogpSums(policyChosen), null, null);
    }

    /**
     * Per-token gradients of a batch's loss.
     *
     * @param chosen   d loss / d log π_θ(y_w,t) per [pair][position]
     * @param rejected d loss / d log π_θ(y_l,t) per [pair][position]
     */
    public record TokenGradients(double[][] chosen, double[][] rejected) {
    }

    /**
     * d loss / d (each token log-probability) for the batch this reduction built: the per-sequence gradient times
     * c_t, plus, on chosen completion tokens, the {@code sft} term's gradient.
     */
    public TokenGradients tokenGradients(DpoLoss.Result result) {
        int n = size();
        if (result.policyChosenGradient().length != n) {
            throw new IllegalArgumentException("result has " + result.policyChosenGradient().length
                    + " pairs, this reduction " + n);
        }
        double[][] chosen = new double[n][];
        double[][] rejected = new double[n][];
        for (int i = 0; i < n; i++) {
            chosen[i] = new double[chosenCoefficients[i].length];
            for (int t = 0; t < chosen[i].length; t++) {
                chosen[i][t] = result.policyChosenGradient()[i] * chosenCoefficients[i][t]
                        + (chosenMask[i][t] ? result.chosenTokenLogpSumGradient()[i] : 0);
            }
            rejected[i] = new double[rejectedCoefficients[i].length];
            for (int t = 0; t < rejected[i].length; t++) {
                rejected[i][t] = result.policyRejectedGradient()[i] * rejectedCoefficients[i][t];
            }
        }
        return new TokenGradients(chosen, rejected);
    }

    private static double[] coefficients(boolean[] mask, int shared, double tailCoefficient) {
        double[] c = new double[mask.length];
        int position = 0;
        for (int t = 0; t < mask.length; t++) {
            if (mask[t]) {
                position++;
                c[t] = position <= shared ? 1 : tailCoefficient;
            }
        }
        return c;
    }

    private static double[] reduce(double[][] tokenLogps, boolean[][] mask, double[][] coefficients, String side) {
        if (tokenLogps == null || tokenLogps.length != mask.length) {
            throw new IllegalArgumentException(side + " token log-probabilities need " + mask.length + " rows");
        }
        double[] out = new double[mask.length];
        for (int i = 0; i < mask.length; i++) {
            if (tokenLogps[i] == null || tokenLogps[i].length != mask[i].length) {
                throw new IllegalArgumentException(side + " token log-probabilities row " + i + " has "
                        + (tokenLogps[i] == null ? "no" : tokenLogps[i].length) + " positions, its mask "
                        + mask[i].length);
            }
            double sum = 0;
            for (int t = 0; t < mask[i].length; t++) {
                if (mask[i][t]) {
                    sum += coefficients[i][t] * tokenLogps[i][t];
                }
            }
            out[i] = sum;
        }
        return out;
    }

    private static int count(boolean[] mask) {
        int c = 0;
        for (boolean m : mask) {
            c += m ? 1 : 0;
        }
        return c;
    }

    private static boolean[][] copy(boolean[][] mask, String side) {
        boolean[][] out = new boolean[mask.length][];
        for (int i = 0; i < mask.length; i++) {
            if (mask[i] == null) {
                throw new IllegalArgumentException(side + " completion mask row " + i + " is null");
            }
            out[i] = mask[i].clone();
        }
        return out;
    }

    private static double[][] deepCopy(double[][] values) {
        double[][] out = new double[values.length][];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i].clone();
        }
        return out;
    }
}
