package org.align4j.scaling;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.align4j.InputException;
import org.align4j.tensor.Parallel;

/**
 * Fits a {@link LogLossModel} to training runs as Hoffmann et al. (2022, Appendix D.2) fit their eq. 2: L-BFGS on the
 * {@link HuberLogLossObjective} from every start of a grid, keeping the lowest objective; and refits on bootstrap
 * resamples of the runs for confidence intervals (Besiroglu et al. 2024, "Chinchilla Scaling: A replication
 * attempt", do the same to show how narrow the paper's intervals could be).
 */
public final class HuberLogLossFit {
    /** The Huber threshold of Hoffmann et al.: δ = 10⁻³. */
    public static final double CHINCHILLA_DELTA = 1e-3;

    /**
     * The best fit over a grid of starts.
     *
     * @param theta     the parameters with the lowest objective
     * @param objective the objective there
     * @param starts    starts tried
     * @param converged starts whose L-BFGS run met a tolerance
     */
    public record Result(double[] theta, double objective, int starts, int converged) {
    }

    private HuberLogLossFit() {
    }

    /**
     * Runs L-BFGS from every start (in parallel over the engine's threads; the result does not depend on their
     * number: ties keep the earliest start) and returns the lowest objective found.
     *
     * @throws IllegalArgumentException when there are no runs or no start gives a finite objective
     */
    public static Result fit(LogLossModel model, List<TrainingRun> runs, List<double[]> starts, double delta) {
        if (runs.isEmpty()) {
            throw new InputException("no training runs to fit");
        }
        HuberLogLossObjective objective = new HuberLogLossObjective(model, runs, delta);
        Lbfgs.Result[] results = new Lbfgs.Result[starts.size()];
        Parallel.range(starts.size(), 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                results[i] = Lbfgs.minimize(objective, starts.get(i));
            }
        });
        Lbfgs.Result best = null;
        int converged = 0;
        for (Lbfgs.Result r : results) {
            if (r.converged()) {
                converged++;
            }
            if (Double.isFinite(r.value()) && (best == null || r.value() < best.value())) {
                best = r;
            }
        }
        if (best == null) {
            throw new InputException("no start gave a finite objective (" + runs.size() + " runs)");
        }
        return new Result(best.point(), best.value(), starts.size(), converged);
    }

    /**
     * θ fitted to each of {@code samples} bootstrap resamples of {@code runs} (drawn with replacement, seeded), each
     * fit started from {@code starts} (e.g. the full-data optimum, where the resampled optimum lies close by).
     */
    public static List<double[]> bootstrap(LogLossModel model, List<TrainingRun> runs, List<double[]> starts,
                                           double delta, int samples, long seed) {
        SplittableRandom root = new SplittableRandom(seed);
        List<List<TrainingRun>> resamples = new ArrayList<>(samples);
        for (int s = 0; s < samples; s++) {
            SplittableRandom rng = root.split();
            List<TrainingRun> resample = new ArrayList<>(runs.size());
            for (int i = 0; i < runs.size(); i++) {
                resample.add(runs.get(rng.nextInt(runs.size())));
            }
            resamples.add(resample);
        }
        double[][] thetas = new double[samples][];
        Parallel.range(samples, 1, (from, to) -> {
            for (int s = from; s < to; s++) {
                HuberLogLossObjective objective = new HuberLogLossObjective(model, resamples.get(s), delta);
                Lbfgs.Result best = null;
                for (double[] start : starts) {
                    Lbfgs.Result r = Lbfgs.minimize(objective, start);
                    if (Double.isFinite(r.value()) && (best == null || r.value() < best.value())) {
                        best = r;
                    }
                }
                thetas[s] = best == null ? null : best.point();
            }
        });
        List<double[]> out = new ArrayList<>(samples);
        for (double[] theta : thetas) {
            if (theta != null) {
                out.add(theta);
            }
        }
        return out;
    }
}
