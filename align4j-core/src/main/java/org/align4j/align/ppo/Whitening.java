package org.align4j.align.ppo;

/**
 * TRL's {@code masked_whiten} over the tokens of a batch of responses of different lengths: (x − mean) / sqrt(var +
 * 1e-8) with the mean and the unbiased variance (n / (n − 1) Bessel correction; none for a single token) over every
 * token of every response; without {@code shiftMean} the mean is added back, so only the scale changes.
 */
public final class Whitening {
    /** The epsilon under the square root. */
    static final double EPSILON = 1e-8;

    private Whitening() {
    }

    /** The whitened values, in the same ragged shape. */
    public static double[][] whiten(double[][] values, boolean shiftMean) {
        long n = 0;
        double sum = 0;
        for (double[] row : values) {
            for (double v : row) {
                sum += v;
                n++;
            }
        }
        if (n == 0) {
            throw new IllegalArgumentException("whitening needs at least one value");
        }
        double mean = sum / n;
        double squares = 0;
        for (double[] row : values) {
            for (double v : row) {
                squares += (v - mean) * (v - mean);
            }
        }
        double variance = squares / n * (n > 1 ? (double) n / (n - 1) : 1);
        double scale = 1 / Math.sqrt(variance + EPSILON);
        double[][] out = new double[values.length][];
        for (int b = 0; b < values.length; b++) {
            out[b] = new double[values[b].length];
            for (int t = 0; t < values[b].length; t++) {
                out[b][t] = (values[b][t] - mean) * scale + (shiftMean ? 0 : mean);
            }
        }
        return out;
    }
}
