package org.align4j.scaling;

import org.align4j.InputException;

/**
 * y = k · x^p, fitted by least squares on log y against log x. In Kaplan et al.'s (2020) form L(X) = (X_c / X)^α_X
 * (their eq. 1.1–1.3) the exponent is α_X = −p and the scale X_c = k^(1/α_X).
 *
 * @param coefficient k
 * @param exponent    p
 * @param points      points fitted
 */
public record PowerLaw(double coefficient, double exponent, int points) {

    /**
     * The least-squares line through (log x, log y).
     *
     * @throws IllegalArgumentException with fewer than two points or a single distinct x
     */
    public static PowerLaw fit(double[] x, double[] y) {
        if (x.length != y.length || x.length < 2) {
            throw new InputException("a power-law fit needs at least two (x, y) points, got " + x.length);
        }
        double mx = 0;
        double my = 0;
        for (int i = 0; i < x.length; i++) {
            mx += Math.log(x[i]);
            my += Math.log(y[i]);
        }
        mx /= x.length;
        my /= x.length;
        double sxy = 0;
        double sxx = 0;
        for (int i = 0; i < x.length; i++) {
            double dx = Math.log(x[i]) - mx;
            sxy += dx * (Math.log(y[i]) - my);
            sxx += dx * dx;
        }
        if (!(sxx > 0)) {
            throw new InputException("a power-law fit needs at least two distinct x values");
        }
        double p = sxy / sxx;
        return new PowerLaw(Math.exp(my - p * mx), p, x.length);
    }

    /** k · x^p. */
    public double apply(double x) {
        return coefficient * Math.pow(x, exponent);
    }

    /** Kaplan's α_X = −p. */
    public double kaplanExponent() {
        return -exponent;
    }

    /** Kaplan's X_c = k^(1/α_X). */
    public double kaplanScale() {
        return Math.pow(coefficient, 1 / kaplanExponent());
    }
}
