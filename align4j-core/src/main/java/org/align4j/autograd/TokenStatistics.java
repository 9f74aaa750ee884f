package org.align4j.autograd;

import java.util.Arrays;

/**
 * Per-position statistics of the predicted distribution, filled by {@link Ops#tokenLogProbs} for the positions
 * that have a target (others keep argmax -1 and entropy 0): the most likely token (for TRL's mean_token_accuracy)
 * and the entropy of the distribution (TRL's entropy metric).
 *
 * @param argmax  the most likely token id per position
 * @param entropy −Σ p log p of the predicted distribution per position
 */
public record TokenStatistics(int[] argmax, float[] entropy) {

    /** Empty statistics for {@code rows} positions. */
    public static TokenStatistics forRows(int rows) {
        int[] argmax = new int[rows];
        Arrays.fill(argmax, -1);
        return new TokenStatistics(argmax, new float[rows]);
    }

    /** How many positions with a target predict it as their most likely token. */
    public int correct(int[] targets) {
        int n = 0;
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] >= 0 && argmax[i] == targets[i]) {
                n++;
            }
        }
        return n;
    }
}
