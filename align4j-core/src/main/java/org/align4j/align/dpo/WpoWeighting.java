package org.align4j.align.dpo;

/**
 * WPO's pair weights (Zhou et al. 2024, "WPO: Enhancing RLHF with Weighted Preference Optimization", arXiv
 * 2406.11827, eq. 2) as TRL 1.13 computes them for {@code use_weighting}: each response y gets
 * w(y) = exp(mean over its completion tokens of (log π_θ(y_t) - log Σ_v π_θ(v)²)), the token log-probability aligned
 * by the log of the position's total squared probability, and each pair's loss is multiplied by w(y_w) · w(y_l).
 *
 * <p>TRL computes the weights under {@code torch.no_grad()}, so they carry no gradient: the per-token gradient of the
 * weights is zero by construction, and {@link DpoLoss} treats them as constants.
 */
public final class WpoWeighting {
    private WpoWeighting() {
    }

    /**
     * log Σ_v p_v² for the next-token distribution p = softmax(logits[offset .. offset + vocab)), computed as TRL does:
     * logsumexp(2z) - 2 logsumexp(z), stably.
     */
    public static double logSumSquaredProbs(float[] logits, int offset, int vocab) {
        if (vocab <= 0 || offset < 0 || offset + vocab > logits.length) {
            throw new IllegalArgumentException("logits row [" + offset + ", " + (offset + vocab) + ") is outside "
                    + logits.length + " values");
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            max = Math.max(max, logits[offset + v]);
        }
        double sum = 0;
        double sumSquares = 0;
        for (int v = 0; v < vocab; v++) {
            double e = Math.exp(logits[offset + v] - max);
            sum += e;
            sumSquares += e * e;
        }
        return Math.log(sumSquares) - 2 * Math.log(sum);
    }

    /**
     * The weight w(y) of each sequence: exp(Σ_t m_t (logp_t - logSumSquaredProbs_t) / max(1, Σ_t m_t)) with m the
     * completion mask; arrays are indexed [sequence][position] and positions outside the mask are ignored.
     */
    public static double[] sequenceWeights(double[][] tokenLogps, double[][] logSumSquaredProbs, boolean[][] mask) {
        if (tokenLogps.length != mask.length || logSumSquaredProbs.length != mask.length) {
            throw new IllegalArgumentException("token log-probabilities, squared-probability logs and masks need the "
                    + "same number of sequences: " + tokenLogps.length + ", " + logSumSquaredProbs.length + ", "
                    + mask.length);
        }
        double[] weights = new double[mask.length];
        for (int i = 0; i < mask.length; i++) {
            if (tokenLogps[i].length != mask[i].length || logSumSquaredProbs[i].length != mask[i].length) {
                throw new IllegalArgumentException("sequence " + i + ": " + tokenLogps[i].length + " log-probabilities, "
                        + logSumSquaredProbs[i].length + " squared-probability logs, mask of " + mask[i].length);
            }
            double sum = 0;
            int tokens = 0;
            for (int t = 0; t < mask[i].length; t++) {
                if (mask[i][t]) {
                    sum += tokenLogps[i][t] - logSumSquaredProbs[i][t];
                    tokens++;
                }
            }
            weights[i] = Math.exp(sum / Math.max(tokens, 1));
        }
        return weights;
    }
}
