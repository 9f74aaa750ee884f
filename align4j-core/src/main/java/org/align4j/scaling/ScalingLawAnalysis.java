package org.align4j.scaling;

import java.util.ArrayList;
import java.util.List;

/**
 * Every fit of a scaling study on one set of runs: Chinchilla approach 3 with bootstrap intervals and its
 * compute-optimal frontier, approach 2 (IsoFLOP profiles) with a bootstrap interval for its exponent, and Kaplan et
 * al.'s laws. Where the runs repeat their data ({@link Options#repetition()}), approach 3 and Kaplan's laws are fitted
 * to the effective tokens D' of {@link DataRepetition} (their law is then the law of unique data), while approach 2
 * takes the runs as trained: its profiles are IsoFLOP in the compute actually spent, repeated tokens included.
 *
 * @param runs             the runs as trained
 * @param options          how they were fitted
 * @param approach3        {@link ChinchillaFit}
 * @param approach2        {@link IsoFlopAnalysis}
 * @param kaplan           {@link KaplanFit}
 * @param frontierComputes the budgets the frontier is tabulated at: each decade from below the smallest run's
 *                         compute to two decades beyond the largest
 */
public record ScalingLawAnalysis(List<TrainingRun> runs, Options options, ChinchillaFit approach3,
                                 IsoFlopAnalysis approach2, KaplanFit kaplan, double[] frontierComputes) {

    /**
     * The fit settings.
     *
     * @param starts            L-BFGS starts of approach 3 ({@link ChinchillaLaw#paperStartGrid()} as the paper)
     * @param startGridName     a name for them in reports
     * @param huberDelta        the Huber threshold δ (Hoffmann et al.: 10⁻³)
     * @param bootstrapSamples  bootstrap resamples for the intervals (0: none)
     * @param seed              seeds the resampling
     * @param isoFlopGapDecades runs closer than this in log₁₀ C belong to one IsoFLOP profile
     * @param minIsoFlopRuns    smallest IsoFLOP profile fitted
     * @param repetition        how repeated tokens are valued ({@link DataRepetition#none()}: every token unique)
     */
    public record Options(List<double[]> starts, String startGridName, double huberDelta, int bootstrapSamples,
                          long seed, double isoFlopGapDecades, int minIsoFlopRuns, DataRepetition repetition) {
        /**
         * The paper's grid and δ, 200 bootstrap resamples, profiles of at least 4 runs within 0.02 decades, every
         * token unique.
         */
        public static Options defaults() {
            return new Options(ChinchillaLaw.paperStartGrid(), "the paper's grid (4500 starts)", HuberLogLossFit.CHINCHILLA_DELTA,
                    200, 42, 0.02, 4, DataRepetition.none());
        }
    }

    /** Runs every fit. */
    public static ScalingLawAnalysis run(List<TrainingRun> runs, Options options) {
        List<TrainingRun> effective = runs.stream().map(options.repetition()::effective).toList();
        ChinchillaFit approach3 = ChinchillaFit.fit(effective, options.starts(), options.huberDelta(),
                options.bootstrapSamples(), options.seed());
        IsoFlopAnalysis approach2 = IsoFlopAnalysis.fit(runs, options.isoFlopGapDecades(), options.minIsoFlopRuns(),
                options.bootstrapSamples(), options.seed());
        KaplanFit kaplan = KaplanFit.fit(effective, options.huberDelta());
        double minC = runs.stream().mapToDouble(TrainingRun::compute).min().orElseThrow();
        double maxC = runs.stream().mapToDouble(TrainingRun::compute).max().orElseThrow();
        List<Double> computes = new ArrayList<>();
        for (int decade = (int) Math.floor(Math.log10(minC)); decade <= (int) Math.ceil(Math.log10(maxC)) + 2;
             decade++) {
            computes.add(Math.pow(10, decade));
        }
        return new ScalingLawAnalysis(List.copyOf(runs), options, approach3, approach2, kaplan,
                computes.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /**
     * The N that minimises approach 3's law along the IsoFLOP line of {@code compute}, tokens C / 6N valued as D'
     * (without repetition, {@link ChinchillaLaw#optimalParameters}): the smallest loss on a grid of sizes 0.5% apart,
     * from a hundredth of the smallest run's N to a hundred times the largest's.
     */
    public double approach3IsoFlopMinimum(double compute) {
        ChinchillaLaw law = approach3.law();
        double lo = Math.log(runs.stream().mapToDouble(TrainingRun::parameters).min().orElseThrow() / 100);
        double hi = Math.log(runs.stream().mapToDouble(TrainingRun::parameters).max().orElseThrow() * 100);
        int steps = (int) Math.ceil((hi - lo) / 0.005);
        double best = Double.NaN;
        double bestLoss = Double.POSITIVE_INFINITY;
        for (int i = 0; i <= steps; i++) {
            double n = Math.exp(lo + (hi - lo) * i / steps);
            double loss = law.loss(n, options.repetition().effectiveTokens(compute / (6 * n)));
            if (loss < bestLoss) {
                bestLoss = loss;
                best = n;
            }
        }
        return best;
    }

    /** The runs as approach 3 and Kaplan's laws see them: D replaced by D' where data repeats. */
    public List<TrainingRun> effectiveRuns() {
        return runs.stream().map(options.repetition()::effective).toList();
    }
}
