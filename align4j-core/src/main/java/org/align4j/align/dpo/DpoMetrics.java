package org.align4j.align.dpo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The preference metrics TRL's {@code DPOTrainer} logs for a batch, under the same names and definitions (TRL 1.13):
 * the implicit rewards are β(log π_θ(y) - log π_ref(y)), detached, for every loss type.
 *
 * @param rewardsChosen    {@code rewards/chosen}: mean chosen reward
 * @param rewardsRejected  {@code rewards/rejected}: mean rejected reward
 * @param rewardsAccuracies {@code rewards/accuracies}: fraction of pairs whose chosen reward is strictly greater
 * @param rewardsMargins   {@code rewards/margins}: mean of chosen minus rejected reward
 * @param logpsChosen      {@code logps/chosen}: mean policy log-probability of the chosen responses
 * @param logpsRejected    {@code logps/rejected}: mean policy log-probability of the rejected responses
 */
public record DpoMetrics(double rewardsChosen, double rewardsRejected, double rewardsAccuracies, double rewardsMargins,
                         double logpsChosen, double logpsRejected) {
    /** The metrics' names, in TRL's order: the keys of {@link #asMap}. */
    public static final List<String> NAMES = List.of("rewards/chosen", "rewards/rejected", "rewards/accuracies",
            "rewards/margins", "logps/chosen", "logps/rejected");

    /** The metrics of one batch from its per-pair rewards and policy log-probabilities. */
    public static DpoMetrics of(double[] chosenRewards, double[] rejectedRewards, double[] policyChosenLogps,
                                double[] policyRejectedLogps) {
        int n = chosenRewards.length;
        double chosen = 0;
        double rejected = 0;
        double correct = 0;
        double margins = 0;
        double logpsChosen = 0;
        double logpsRejected = 0;
        for (int i = 0; i < n; i++) {
            chosen += chosenRewards[i];
            rejected += rejectedRewards[i];
            correct += chosenRewards[i] > rejectedRewards[i] ? 1 : 0;
            margins += chosenRewards[i] - rejectedRewards[i];
            logpsChosen += policyChosenLogps[i];
            logpsRejected += policyRejectedLogps[i];
        }
        return new DpoMetrics(chosen / n, rejected / n, correct / n, margins / n, logpsChosen / n, logpsRejected / n);
    }

    /** The metrics under TRL's logged names, in TRL's order. */
    public Map<String, Double> asMap() {
        double[] values = {rewardsChosen, rewardsRejected, rewardsAccuracies, rewardsMargins, logpsChosen,
                logpsRejected};
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            m.put(NAMES.get(i), values[i]);
        }
        return m;
    }
}
