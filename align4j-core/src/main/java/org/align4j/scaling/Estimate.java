package org.align4j.scaling;

import java.util.Arrays;

/**
 * A fitted quantity with a bootstrap percentile confidence interval (Efron &amp; Tibshirani 1993, ch. 13) and the
 * bootstrap standard error.
 *
 * @param value         the estimate on the full data
 * @param lower         the lower percentile of the bootstrap estimates (2.5th for a 95% interval)
 * @param upper         the upper percentile
 * @param standardError the standard deviation of the bootstrap estimates
 */
public record Estimate(double value, double lower, double upper, double standardError) {
    /** The share of the bootstrap distribution the intervals cover. */
    public static final double LEVEL = 0.95;

    /** An estimate without bootstrap (the interval is the point and the error NaN). */
    public static Estimate point(double value) {
        return new Estimate(value, value, value, Double.NaN);
    }

    /**
     * The estimate {@code value} with the {@link #LEVEL} percentile interval of the finite {@code bootstrap} values
     * (linear interpolation between order statistics); a point estimate when there are fewer than two.
     */
    public static Estimate withBootstrap(double value, double[] bootstrap) {
        double[] finite = Arrays.stream(bootstrap).filter(Double::isFinite).sorted().toArray();
        if (finite.length < 2) {
            return point(value);
        }
        double mean = Arrays.stream(finite).average().orElseThrow();
        double variance = Arrays.stream(finite).map(v -> (v - mean) * (v - mean)).sum() / (finite.length - 1);
        double tail = (1 - LEVEL) / 2;
        return new Estimate(value, quantile(finite, tail), quantile(finite, 1 - tail), Math.sqrt(variance));
    }

    private static double quantile(double[] sorted, double q) {
        double position = q * (sorted.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(below + 1, sorted.length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
