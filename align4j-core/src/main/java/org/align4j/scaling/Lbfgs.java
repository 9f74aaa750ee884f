package org.align4j.scaling;

import java.util.Arrays;

/**
 * Limited-memory BFGS (Liu &amp; Nocedal 1989; Nocedal &amp; Wright, "Numerical Optimization", 2nd ed., Algorithm 7.4
 * and 7.5): the search direction is the two-loop recursion over the last {@code history} pairs (s, y) with the
 * initial inverse Hessian γI, γ = sᵀy / yᵀy (eq. 7.20), and the step satisfies the strong Wolfe conditions (line
 * search Algorithm 3.5 with the zoom of Algorithm 3.6, c₁ = 1e-4, c₂ = 0.9). Hoffmann et al. (2022) fit their
 * parametric loss with L-BFGS from a grid of starts; {@link HuberLogLossFit} does the same with this class.
 */
public final class Lbfgs {
    private static final double C1 = 1e-4;
    private static final double C2 = 0.9;
    private static final int LINE_SEARCH_EVALUATIONS = 40;

    /**
     * When to stop.
     *
     * @param history           (s, y) pairs kept (m in Nocedal &amp; Wright)
     * @param maxIterations     iterations before giving up
     * @param gradientTolerance stop when max |∂f/∂xᵢ| ≤ this
     * @param valueTolerance    stop when an iteration lowers f by at most this times max(|f|, tiny), as SciPy's
     *                          L-BFGS-B {@code ftol} does (relative to |f| rather than max(|f|, 1), so that
     *                          objectives of small magnitude such as a sum of Huber losses still converge fully)
     */
    public record Settings(int history, int maxIterations, double gradientTolerance, double valueTolerance) {
        /** Checks the ranges. */
        public Settings {
            if (history < 1 || maxIterations < 1 || gradientTolerance < 0 || valueTolerance < 0) {
                throw new IllegalArgumentException("invalid L-BFGS settings: history " + history + ", max iterations "
                        + maxIterations + ", tolerances " + gradientTolerance + ", " + valueTolerance);
            }
        }

        /** m = 10 pairs, at most 1000 iterations, gradient tolerance 1e-10, relative value tolerance 1e-12. */
        public static Settings defaults() {
            return new Settings(10, 1000, 1e-10, 1e-12);
        }
    }

    /** Why the iteration stopped. */
    public enum Termination {
        /** The gradient fell below the gradient tolerance. */
        GRADIENT_TOLERANCE,
        /** An iteration no longer lowered f by more than the relative value tolerance. */
        VALUE_TOLERANCE,
        /** The iteration limit was reached. */
        MAX_ITERATIONS,
        /** No step along the steepest descent direction satisfied the Wolfe conditions (f is flat or non-finite). */
        LINE_SEARCH_FAILED,
        /** f or its gradient is not finite at the start. */
        NON_FINITE_START
    }

    /**
     * The outcome of a minimisation.
     *
     * @param point       the best point found
     * @param value       f there
     * @param iterations  iterations taken
     * @param evaluations function evaluations
     * @param termination why it stopped
     */
    public record Result(double[] point, double value, int iterations, int evaluations, Termination termination) {
        /** Whether it stopped at a (local) minimum: by the gradient or the value tolerance. */
        public boolean converged() {
            return termination == Termination.GRADIENT_TOLERANCE || termination == Termination.VALUE_TOLERANCE;
        }
    }

    private final DifferentiableFunction function;
    private final Settings settings;
    private final int dim;
    private int evaluations;
    /** f at the point the last successful line search accepted. */
    private double lastValue;

    private Lbfgs(DifferentiableFunction function, Settings settings, int dim) {
        this.function = function;
        this.settings = settings;
        this.dim = dim;
    }

    /** Minimises {@code f} from {@code start} (not modified) with the default settings. */
    public static Result minimize(DifferentiableFunction f, double[] start) {
        return minimize(f, start, Settings.defaults());
    }

    /** Minimises {@code f} from {@code start} (not modified). */
    public static Result minimize(DifferentiableFunction f, double[] start, Settings settings) {
        return new Lbfgs(f, settings, start.length).run(start.clone());
    }

    private Result run(double[] x) {
        int m = settings.history();
        double[][] s = new double[m][dim];
        double[][] y = new double[m][dim];
        double[] rho = new double[m];
        int stored = 0;
        int newest = -1;
        double[] g = new double[dim];
        double f = evaluate(x, g);
        if (!Double.isFinite(f) || !allFinite(g)) {
            return new Result(x, f, 0, evaluations, Termination.NON_FINITE_START);
        }
        double[] direction = new double[dim];
        double[] alpha = new double[m];
        double[] xNew = new double[dim];
        double[] gNew = new double[dim];
        for (int iteration = 0; iteration < settings.maxIterations(); iteration++) {
            if (maxAbs(g) <= settings.gradientTolerance()) {
                return new Result(x, f, iteration, evaluations, Termination.GRADIENT_TOLERANCE);
            }
            twoLoop(g, s, y, rho, stored, newest, alpha, direction);
            double slope = dot(g, direction);
            if (!(slope < 0)) {
                stored = 0;
                steepest(g, direction);
                slope = dot(g, direction);
            }
            double initialStep = stored == 0 ? Math.min(1.0, 1.0 / Math.max(maxAbs(g), 1e-300)) : 1.0;
            double step = lineSearch(x, f, slope, direction, initialStep, xNew, gNew);
            if (step <= 0 && stored > 0) {
                stored = 0;
                steepest(g, direction);
                slope = dot(g, direction);
                step = lineSearch(x, f, slope, direction, Math.min(1.0, 1.0 / maxAbs(g)), xNew, gNew);
            }
            if (step <= 0) {
                return new Result(x, f, iteration, evaluations, Termination.LINE_SEARCH_FAILED);
            }
            double fNew = lastValue;
            int slot = (newest + 1) % m;
            double sy = 0;
            double yy = 0;
            for (int i = 0; i < dim; i++) {
                s[slot][i] = xNew[i] - x[i];
                y[slot][i] = gNew[i] - g[i];
                sy += s[slot][i] * y[slot][i];
                yy += y[slot][i] * y[slot][i];
            }
            if (sy > 1e-12 * yy && yy > 0) {
                rho[slot] = 1 / sy;
                newest = slot;
                stored = Math.min(stored + 1, m);
            }
            double reduction = f - fNew;
            System.arraycopy(xNew, 0, x, 0, dim);
            System.arraycopy(gNew, 0, g, 0, dim);
            double previous = f;
            f = fNew;
            if (reduction <= settings.valueTolerance() * Math.max(Math.max(Math.abs(previous), Math.abs(f)), 1e-300)) {
                return new Result(x, f, iteration + 1, evaluations, Termination.VALUE_TOLERANCE);
            }
        }
        return new Result(x, f, settings.maxIterations(), evaluations, Termination.MAX_ITERATIONS);
    }

    /** d = −H g by the two-loop recursion over the stored pairs, newest first (Algorithm 7.4). */
    private void twoLoop(double[] g, double[][] s, double[][] y, double[] rho, int stored, int newest,
                         double[] alpha, double[] d) {
        int m = s.length;
        for (int i = 0; i < dim; i++) {
            d[i] = -g[i];
        }
        if (stored == 0) {
            return;
        }
        for (int j = 0; j < stored; j++) {
            int k = Math.floorMod(newest - j, m);
            alpha[k] = rho[k] * dot(s[k], d);
            for (int i = 0; i < dim; i++) {
                d[i] -= alpha[k] * y[k][i];
            }
        }
        double gamma = 1 / (rho[newest] * dot(y[newest], y[newest]));
        for (int i = 0; i < dim; i++) {
            d[i] *= gamma;
        }
        for (int j = stored - 1; j >= 0; j--) {
            int k = Math.floorMod(newest - j, m);
            double beta = rho[k] * dot(y[k], d);
            for (int i = 0; i < dim; i++) {
                d[i] += (alpha[k] - beta) * s[k][i];
            }
        }
    }

    private void steepest(double[] g, double[] d) {
        for (int i = 0; i < dim; i++) {
            d[i] = -g[i];
        }
    }

    /**
     * A step length satisfying the strong Wolfe conditions along {@code d} (Algorithm 3.5), with the point and its
     * gradient left in {@code xOut} / {@code gOut} and f in {@link #lastValue}; 0 when none was found. A non-finite
     * f counts as a failure of sufficient decrease, so the search backs off from outside the domain.
     */
    private double lineSearch(double[] x, double f0, double slope0, double[] d, double initialStep,
                              double[] xOut, double[] gOut) {
        double previousStep = 0;
        double previousValue = f0;
        double previousSlope = slope0;
        double step = initialStep;
        double[] g = new double[dim];
        for (int i = 0; i < LINE_SEARCH_EVALUATIONS; i++) {
            double value = evaluateAlong(x, d, step, g);
            double slope = dot(g, d);
            if (!Double.isFinite(value) || !Double.isFinite(slope) || value > f0 + C1 * step * slope0
                    || (i > 0 && value >= previousValue)) {
                return zoom(x, f0, slope0, d, previousStep, previousValue, previousSlope, step, value, slope, xOut, gOut,
                        LINE_SEARCH_EVALUATIONS - i - 1);
            }
            if (Math.abs(slope) <= -C2 * slope0) {
                return accept(x, d, step, value, g, xOut, gOut);
            }
            if (slope >= 0) {
                return zoom(x, f0, slope0, d, step, value, slope, previousStep, previousValue, previousSlope, xOut,
                        gOut, LINE_SEARCH_EVALUATIONS - i - 1);
            }
            previousStep = step;
            previousValue = value;
            previousSlope = slope;
            step *= 2;
        }
        return 0;
    }

    /**
     * Algorithm 3.6: shrinks the bracket [lo, hi] (lo satisfies sufficient decrease with the lowest f so far) by
     * safeguarded cubic interpolation until a step satisfies the strong Wolfe conditions.
     */
    private double zoom(double[] x, double f0, double slope0, double[] d, double lo, double fLo, double slopeLo,
                        double hi, double fHi, double slopeHi, double[] xOut, double[] gOut, int budget) {
        double[] g = new double[dim];
        for (int i = 0; i < Math.max(budget, 1); i++) {
            double step = interpolate(lo, fLo, slopeLo, hi, fHi, slopeHi);
            double value = evaluateAlong(x, d, step, g);
            double slope = dot(g, d);
            if (!Double.isFinite(value) || !Double.isFinite(slope) || value > f0 + C1 * step * slope0 || value >= fLo) {
                hi = step;
                fHi = value;
                slopeHi = slope;
            } else {
                if (Math.abs(slope) <= -C2 * slope0) {
                    return accept(x, d, step, value, g, xOut, gOut);
                }
                if (slope * (hi - lo) >= 0) {
                    hi = lo;
                    fHi = fLo;
                    slopeHi = slopeLo;
                }
                lo = step;
                fLo = value;
                slopeLo = slope;
            }
            if (Math.abs(hi - lo) <= 1e-16 * Math.max(Math.abs(lo), Math.abs(hi))) {
                break;
            }
        }
        if (lo > 0 && fLo < f0) {
            double value = evaluateAlong(x, d, lo, g);
            return accept(x, d, lo, value, g, xOut, gOut);
        }
        return 0;
    }

    /**
     * The minimiser of the cubic through (lo, fLo, slopeLo) and (hi, fHi, slopeHi) (Nocedal &amp; Wright eq. 3.59),
     * kept at least 10% of the bracket away from its ends; bisection when the cubic is unusable (non-finite hi).
     */
    private static double interpolate(double lo, double fLo, double slopeLo, double hi, double fHi, double slopeHi) {
        double width = hi - lo;
        double candidate = Double.NaN;
        if (Double.isFinite(fHi) && Double.isFinite(slopeHi)) {
            double d1 = slopeLo + slopeHi - 3 * (fLo - fHi) / (lo - hi);
            double radicand = d1 * d1 - slopeLo * slopeHi;
            if (radicand >= 0) {
                double d2 = Math.signum(hi - lo) * Math.sqrt(radicand);
                candidate = hi - (hi - lo) * (slopeHi + d2 - d1) / (slopeHi - slopeLo + 2 * d2);
            }
        }
        double min = Math.min(lo, hi) + 0.1 * Math.abs(width);
        double max = Math.max(lo, hi) - 0.1 * Math.abs(width);
        if (!Double.isFinite(candidate) || candidate < min || candidate > max) {
            return lo + 0.5 * width;
        }
        return candidate;
    }

    private double accept(double[] x, double[] d, double step, double value, double[] g, double[] xOut, double[] gOut) {
        for (int i = 0; i < dim; i++) {
            xOut[i] = x[i] + step * d[i];
        }
        System.arraycopy(g, 0, gOut, 0, dim);
        lastValue = value;
        return step;
    }

    private double evaluateAlong(double[] x, double[] d, double step, double[] g) {
        double[] point = new double[dim];
        for (int i = 0; i < dim; i++) {
            point[i] = x[i] + step * d[i];
        }
        return evaluate(point, g);
    }

    private double evaluate(double[] x, double[] g) {
        evaluations++;
        Arrays.fill(g, 0);
        return function.valueAndGradient(x, g);
    }

    private static boolean allFinite(double[] v) {
        for (double e : v) {
            if (!Double.isFinite(e)) {
                return false;
            }
        }
        return true;
    }

    private static double maxAbs(double[] v) {
        double max = 0;
        for (double e : v) {
            max = Math.max(max, Math.abs(e));
        }
        return max;
    }

    private static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }
}
