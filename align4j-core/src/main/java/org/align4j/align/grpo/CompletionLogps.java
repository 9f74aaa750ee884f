package org.align4j.align.grpo;

/**
 * The per-token inputs of the online policy losses for a micro-batch of sampled completions, in double precision:
 * row i holds completion i's tokens up to and including its eos token (TRL's {@code completion_mask}).
 *
 * @param logps      log π_θ of each completion token (temperature-scaled logits), the values the loss is
 *                   differentiated with respect to
 * @param oldLogps   log π_θold at sampling time, or null when sampling and training use the same weights (TRL then
 *                   uses the detached current values)
 * @param refLogps   log π_ref, or null when no reference is used (β = 0)
 * @param advantages one advantage per completion
 * @param masked     completions left out of the loss ({@code mask_truncated_completions}): their mask is all 0
 */
public record CompletionLogps(double[][] logps, double[][] oldLogps, double[][] refLogps, double[] advantages,
                              boolean[] masked) {

    /** Validates the shapes. */
    public CompletionLogps {
        int n = logps.length;
        if (n == 0 || advantages.length != n || masked.length != n) {
            throw new IllegalArgumentException("a micro-batch needs one advantage and one mask flag per completion");
        }
        for (int i = 0; i < n; i++) {
            int length = logps[i].length;
            if (oldLogps != null && oldLogps[i].length != length || refLogps != null && refLogps[i].length != length) {
                throw new IllegalArgumentException("completion " + i + ": log-prob rows of different lengths");
            }
        }
    }

    /** Number of completions. */
    public int size() {
        return logps.length;
    }

    /** The old log-probability of token t of completion i: the given one, else the current value (detached). */
    double old(int i, int t) {
        return oldLogps == null ? logps[i][t] : oldLogps[i][t];
    }

    /** The number of tokens in completion i's mask (0 when it is masked out). */
    int activeTokens(int i) {
        return masked[i] ? 0 : logps[i].length;
    }

    /** Active tokens over the micro-batch. */
    int activeTokens() {
        int sum = 0;
        for (int i = 0; i < size(); i++) {
            sum += activeTokens(i);
        }
        return sum;
    }
}
