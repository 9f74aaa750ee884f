package org.align4j.scaling;

import java.util.ArrayList;
import java.util.List;

/**
 * Every fit of a scaling study on one set of runs: Chinchilla approach 3 with bootstrap intervals and its
 * compute-optimal frontier, approach 2 (IsoFLOP profiles), and Kaplan et al.'s laws.
 *
 * @param runs             the runs fitted
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
     */
    public record Options(List<double[]> starts, String startGridName, double huberDelta, int bootstrapSamples,
                          long seed, double isoFlopGapDecades, int minIsoFlopRuns) {
        /** The paper's grid and δ, 200 bootstrap resamples, profiles of at least 4 runs within 0.02 decades. */
        public static Options defaults() {
            return new Options(ChinchillaLaw.paperStartGrid(), "the paper's grid (4500 starts)", HuberLogLossFit.CHINCHILLA_DELTA,
                    200, 42, 0.02, 4);
        }
    }

    /** Runs every fit. */
    public static ScalingLawAnalysis run(List<TrainingRun> runs, Options options) {
        ChinchillaFit approach3 = ChinchillaFit.fit(runs, options.starts(), options.huberDelta(),
                options.bootstrapSamples(), options.seed());
        IsoFlopAnalysis approach2 = IsoFlopAnalysis.fit(runs, options.isoFlopGapDecades(), options.minIsoFlopRuns());
        KaplanFit kaplan = KaplanFit.fit(runs, options.huberDelta());
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
}
