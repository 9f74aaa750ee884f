package org.align4j.experiments;

import java.util.List;
import java.util.Map;

/**
 * What {@link SentimentExperiment} measured, as written to {@value #FILE_NAME} (snake_case names).
 *
 * @param claim          the claim under test
 * @param budget         smoke, small or full
 * @param seed           the seed of prompts, SFT, pairs, training and sampling
 * @param settings       what the budget ran
 * @param sft            the SFT stage
 * @param pairs          the preference pairs
 * @param rewardModel    the learned reward model
 * @param sftPoint       the SFT model's evaluation (step 0 of every trained series)
 * @param methods        each method's series, by name, in run order
 * @param comparison     the DPO family's frontier against the other families of the paper's methods
 * @param beyondPaper    each family of the methods added since the paper (GRPO, RLOO, KTO, ORPO, SimPO), placed
 *                       against DPO's and PPO's frontiers
 * @param timings        seconds per stage and per method
 * @param runtimeSeconds the whole run (wall clock)
 * @param cpuSeconds     CPU time of the process during the run, all threads (what two idle cores divide by two)
 */
public record SentimentExperimentResult(String claim, String budget, long seed, SentimentExperiment.Settings settings,
                                        SftSummary sft, PairSummary pairs, RewardModelSummary rewardModel,
                                        FrontierPoint sftPoint, Map<String, MethodResult> methods,
                                        FrontierComparison comparison, Map<String, Placement> beyondPaper,
                                        Map<String, Double> timings,
                                        double runtimeSeconds, double cpuSeconds) {
    /** The results file. */
    public static final String FILE_NAME = "frontier.json";

    /**
     * Where a family lies against the paper's two frontiers.
     *
     * @param versusDpo DPO's frontier against it (DPO ≥ it at how many KL levels, the differences)
     * @param versusPpo PPO's frontier against it, or null when PPO did not run
     */
    public record Placement(FrontierComparison.Versus versusDpo, FrontierComparison.Versus versusPpo) {
    }

    /**
     * The SFT stage.
     *
     * @param directory   the cached checkpoint
     * @param fromCache   whether this run read it from the cache
     * @param steps       SFT steps
     * @param trainLoss   mean training loss
     * @param heldOutLoss loss on the held-out texts
     * @param seconds     training time of the run that trained it
     */
    public record SftSummary(String directory, boolean fromCache, int steps, double trainLoss, double heldOutLoss,
                             double seconds) {
    }

    /**
     * The preference pairs (4 SFT samples per prompt, all 6 pairs, ties dropped).
     *
     * @param trainPrompts   training prompts
     * @param trainPairs     pairs built from them (DPO, Preferred-FT, Unlikelihood and the reward model train on them)
     * @param heldOutPrompts held-out prompts
     * @param heldOutPairs   pairs built from them (the reward model's held-out accuracy)
     */
    public record PairSummary(int trainPrompts, int trainPairs, int heldOutPrompts, int heldOutPairs) {
    }

    /**
     * The learned reward model.
     *
     * @param steps           optimizer steps
     * @param trainPairs      training pairs
     * @param heldOutPairs    held-out pairs
     * @param trainAccuracy   share of training pairs ranked right (chosen strictly higher)
     * @param heldOutAccuracy share of held-out pairs ranked right
     */
    public record RewardModelSummary(int steps, int trainPairs, int heldOutPairs, double trainAccuracy,
                                     double heldOutAccuracy) {
    }

    /**
     * One method's series.
     *
     * @param family      its frontier family
     * @param description what it does
     * @param points      its points in step order
     * @param seconds     its run time (training and evaluations)
     */
    public record MethodResult(String family, String description, List<FrontierPoint> points, double seconds) {
        /** The point with the highest reward (the first of equals). */
        public FrontierPoint best() {
            FrontierPoint best = points.getFirst();
            for (FrontierPoint p : points) {
                if (p.reward() > best.reward()) {
                    best = p;
                }
            }
            return best;
        }
    }
}
