package org.align4j.autograd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Checks analytic gradients against central finite differences.
 *
 * <p>The function under test maps a list of float arrays to one output array. The checker draws a fixed random
 * vector r of the output's size and differentiates the projection loss L = Σ out · r in double precision: for each
 * checked coordinate x_i it evaluates L at x_i ± h and compares (L₊ − L₋) / (2h) with the analytic gradient, which
 * the caller computes by back-propagating r as the output gradient.
 *
 * <p>Built for float32 functions: the step is large (by default 1% of max(|x_i|, rms of the input)) so that float
 * rounding in L is small next to the difference, the step actually taken is the one between the two float inputs,
 * and the verdict is on the whole gradient of each input: ‖g − g_fd‖ / max(‖g‖, ‖g_fd‖) must not exceed the
 * tolerance (1e-2 by default). Inputs longer than {@code maxCoordinates} are checked on a random subset of
 * coordinates.
 */
public final class GradientChecker {

    /** The function under test. It must read its inputs afresh on every call and leave them unchanged. */
    @FunctionalInterface
    public interface Function {
        float[] apply(List<float[]> inputs);
    }

    /**
     * The analytic gradient of L = Σ out · dout with respect to each input (same length as the input), or null for an
     * input that is not to be checked. Receives copies of the inputs and of dout.
     */
    @FunctionalInterface
    public interface Gradients {
        List<float[]> apply(List<float[]> inputs, float[] dout);
    }

    /** The outcome for one input. */
    public record InputReport(int input, int coordinates, double relativeError, double analyticNorm,
                              double numericNorm, int worstIndex, double worstAnalytic, double worstNumeric) {
        @Override
        public String toString() {
            return String.format("input %d: relative error %.3g over %d coordinates (|analytic| %.4g, |numeric| %.4g;"
                            + " worst at [%d]: analytic %.6g vs numeric %.6g)", input, relativeError, coordinates,
                    analyticNorm, numericNorm, worstIndex, worstAnalytic, worstNumeric);
        }
    }

    private final long seed;
    private final double relativeStep;
    private final double tolerance;
    private final int maxCoordinates;

    /** A checker with seed 42, relative step 1e-2, tolerance 1e-2 and at most 512 coordinates per input. */
    public GradientChecker() {
        this(42, 1e-2, 1e-2, 512);
    }

    private GradientChecker(long seed, double relativeStep, double tolerance, int maxCoordinates) {
        this.seed = seed;
        this.relativeStep = relativeStep;
        this.tolerance = tolerance;
        this.maxCoordinates = maxCoordinates;
    }

    /** The same checker with another step, as a fraction of max(|x_i|, rms of the input). */
    public GradientChecker withRelativeStep(double step) {
        return new GradientChecker(seed, step, tolerance, maxCoordinates);
    }

    /** The same checker with another tolerance on the relative error of each input's gradient. */
    public GradientChecker withTolerance(double tol) {
        return new GradientChecker(seed, relativeStep, tol, maxCoordinates);
    }

    /** The same checker with another cap on the number of coordinates checked per input. */
    public GradientChecker withMaxCoordinates(int max) {
        return new GradientChecker(seed, relativeStep, tolerance, max);
    }

    /** Compares the gradients and throws an {@link AssertionError} describing every input that fails. */
    public void check(String what, Function f, Gradients gradients, List<float[]> inputs) {
        List<InputReport> reports = measure(f, gradients, inputs);
        StringBuilder failures = new StringBuilder();
        for (InputReport report : reports) {
            if (!(report.relativeError() <= tolerance)) {
                failures.append("\n  ").append(report);
            }
        }
        if (!failures.isEmpty()) {
            throw new AssertionError(what + ": gradient differs from finite differences (tolerance " + tolerance
                    + ")" + failures);
        }
    }

    /** Measures, for every input whose analytic gradient is not null, how far it is from finite differences. */
    public List<InputReport> measure(Function f, Gradients gradients, List<float[]> inputs) {
        Random random = new Random(seed);
        float[] out = f.apply(inputs);
        float[] projection = new float[out.length];
        for (int i = 0; i < projection.length; i++) {
            projection[i] = (float) random.nextGaussian();
        }
        List<float[]> copies = new ArrayList<>();
        for (float[] input : inputs) {
            copies.add(input.clone());
        }
        List<float[]> analytic = gradients.apply(copies, projection.clone());
        if (analytic.size() != inputs.size()) {
            throw new IllegalArgumentException(
                    "got " + analytic.size() + " gradients for " + inputs.size() + " inputs");
        }
        List<InputReport> reports = new ArrayList<>();
        for (int k = 0; k < inputs.size(); k++) {
            float[] g = analytic.get(k);
            if (g == null) {
                continue;
            }
            float[] x = inputs.get(k);
            if (g.length != x.length) {
                throw new IllegalArgumentException(
                        "gradient " + k + " has " + g.length + " elements, input has " + x.length);
            }
            reports.add(measureInput(f, inputs, projection, k, g, coordinates(x.length, random)));
        }
        return reports;
    }

    private InputReport measureInput(Function f, List<float[]> inputs, float[] projection, int k, float[] g,
                                     int[] coordinates) {
        float[] x = inputs.get(k);
        double rms = Math.sqrt(squaredNorm(x) / Math.max(1, x.length));
        double scale = rms > 0 ? rms : 1;
        double diffSquared = 0;
        double analyticSquared = 0;
        double numericSquared = 0;
        int worst = -1;
        double worstDiff = -1;
        double worstNumeric = 0;
        for (int i : coordinates) {
            float original = x[i];
            double h = relativeStep * Math.max(Math.abs(original), scale);
            float plus = (float) (original + h);
            float minus = (float) (original - h);
            x[i] = plus;
            double lossPlus = projectionLoss(f.apply(inputs), projection);
            x[i] = minus;
            double lossMinus = projectionLoss(f.apply(inputs), projection);
            x[i] = original;
            double numeric = (lossPlus - lossMinus) / ((double) plus - minus);
            double diff = g[i] - numeric;
            diffSquared += diff * diff;
            analyticSquared += (double) g[i] * g[i];
            numericSquared += numeric * numeric;
            if (Math.abs(diff) > worstDiff) {
                worstDiff = Math.abs(diff);
                worst = i;
                worstNumeric = numeric;
            }
        }
        double denominator = Math.max(Math.sqrt(analyticSquared), Math.sqrt(numericSquared));
        double relativeError = denominator == 0 ? 0 : Math.sqrt(diffSquared) / denominator;
        return new InputReport(k, coordinates.length, relativeError, Math.sqrt(analyticSquared),
                Math.sqrt(numericSquared), worst, worst < 0 ? 0 : g[worst], worstNumeric);
    }

    /** All indices when n is at most maxCoordinates, otherwise a random subset of that many. */
    private int[] coordinates(int n, Random random) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        if (n <= maxCoordinates) {
            return all;
        }
        for (int i = 0; i < maxCoordinates; i++) {
            int j = i + random.nextInt(n - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return Arrays.copyOf(all, maxCoordinates);
    }

    private static double projectionLoss(float[] out, float[] projection) {
        if (out.length != projection.length) {
            throw new IllegalStateException("output size changed from " + projection.length + " to " + out.length);
        }
        double loss = 0;
        for (int i = 0; i < out.length; i++) {
            loss += (double) out[i] * projection[i];
        }
        return loss;
    }

    private static double squaredNorm(float[] x) {
        double s = 0;
        for (float v : x) {
            s += (double) v * v;
        }
        return s;
    }
}
