package org.align4j.scaling;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Approach 3 of Hoffmann et al. (2022), Section 3.3: {@link ChinchillaLaw} fitted to all runs by the Huber loss of
 * log L̂ − log L from a grid of L-BFGS starts, with bootstrap confidence intervals for its parameters, for the
 * compute-optimal exponents a and b and coefficient G, and for the compute-optimal frontier N_opt(C), D_opt(C).
 *
 * @param law            the fit on all runs
 * @param objective      its Huber objective
 * @param starts         L-BFGS starts tried
 * @param convergedStarts starts whose run met a tolerance
 * @param runs           runs fitted
 * @param bootstrapLaws  the fits on the bootstrap resamples
 */
public record ChinchillaFit(ChinchillaLaw law, double objective, int starts, int convergedStarts, int runs,
                            List<ChinchillaLaw> bootstrapLaws) {

    /** A point of the compute-optimal frontier, each quantity with its bootstrap interval. */
    public record FrontierPoint(double compute, Estimate parameters, Estimate tokens, Estimate tokensPerParameter,
                                Estimate loss) {
    }

    /**
     * Fits the law to {@code runs} from {@code starts} with Huber threshold {@code delta}, then refits on
     * {@code bootstrapSamples} resamples (seeded by {@code seed}), each started from the full-data optimum.
     */
    public static ChinchillaFit fit(List<TrainingRun> runs, List<double[]> starts, double delta, int bootstrapSamples,
                                    long seed) {
        HuberLogLossFit.Result best = HuberLogLossFit.fit(ChinchillaLaw.MODEL, runs, starts, delta);
        List<ChinchillaLaw> laws = new ArrayList<>();
        if (bootstrapSamples > 0) {
            for (double[] theta : HuberLogLossFit.bootstrap(ChinchillaLaw.MODEL, runs, List.of(best.theta()), delta,
                    bootstrapSamples, seed)) {
                laws.add(ChinchillaLaw.fromTheta(theta));
            }
        }
        return new ChinchillaFit(ChinchillaLaw.fromTheta(best.theta()), best.objective(), best.starts(),
                best.converged(), runs.size(), List.copyOf(laws));
    }

    /** A quantity of the law with its bootstrap interval. */
    public Estimate estimate(ToDoubleFunction<ChinchillaLaw> quantity) {
        return Estimate.withBootstrap(quantity.applyAsDouble(law),
                bootstrapLaws.stream().mapToDouble(quantity).toArray());
    }

    /** E, A, B, α, β, a, b and G with their intervals, by name. */
    public Map<String, Estimate> estimates() {
        Map<String, Estimate> out = new LinkedHashMap<>();
        out.put("E", estimate(ChinchillaLaw::e));
        out.put("A", estimate(ChinchillaLaw::a));
        out.put("B", estimate(ChinchillaLaw::b));
        out.put("alpha", estimate(ChinchillaLaw::alpha));
        out.put("beta", estimate(ChinchillaLaw::beta));
        out.put("a", estimate(ChinchillaLaw::parameterExponent));
        out.put("b", estimate(ChinchillaLaw::tokenExponent));
        out.put("G", estimate(ChinchillaLaw::allocationCoefficient));
        return out;
    }

    /** The compute-optimal N, D, D/N and loss at each compute budget. */
    public List<FrontierPoint> frontier(double[] computes) {
        List<FrontierPoint> points = new ArrayList<>();
        for (double c : computes) {
            points.add(new FrontierPoint(c, estimate(l -> l.optimalParameters(c)), estimate(l -> l.optimalTokens(c)),
                    estimate(l -> l.optimalTokens(c) / l.optimalParameters(c)),
                    estimate(l -> l.loss(l.optimalParameters(c), l.optimalTokens(c)))));
        }
        return points;
    }
}
