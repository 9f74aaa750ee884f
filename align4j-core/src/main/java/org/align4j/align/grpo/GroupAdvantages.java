package org.align4j.align.grpo;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The advantages of the critic-free online trainers, computed from the rewards of groups of completions of the same
 * prompt (rows {@code g·G .. g·G + G − 1} of a generation batch are group g), as TRL's
 * {@code _generate_and_score_completions} computes them; a function that abstains gives {@code NaN}, and a
 * completion every function abstains on gets advantage 0 and is left out of the group statistics.
 *
 * <p>GRPO (Shao et al. 2024, "DeepSeekMath", eq. 3 and §4.1.2): the reward r = Σ_k w_k r_k, the advantage
 * (r − mean of the group) / (std + 1e-4) with the std per {@link ScaleRewards}; with
 * {@code multi_objective_aggregation} normalize_then_sum each function's rewards are first normalised within the
 * group, summed with the weights, and the sum normalised over the batch (GDPO). RLOO (Ahmadian et al. 2024, "Back to
 * Basics: Revisiting REINFORCE Style Optimization", eq. 6): the reward, clipped to {@code reward_clip_range} and
 * penalised by β·Σ_t (log π_θold − log π_ref), minus the mean of the other completions of the group, optionally
 * normalised over the batch. Standard deviations are unbiased (TRL's {@code nanstd}).
 */
public final class GroupAdvantages {
    private static final double EPS = 1e-4;

    private GroupAdvantages() {
    }

    /**
     * Advantages and TRL's reward metrics of a generation batch.
     *
     * @param advantages one per completion
     * @param metrics    {@code rewards/<name>/mean}, {@code rewards/<name>/std}, {@code reward}, {@code reward_std},
     *                   {@code frac_reward_zero_std}
     */
    public record Result(double[] advantages, Map<String, Double> metrics) {
    }

    /** TRL's {@code multi_objective_aggregation}. */
    public enum Aggregation {
        /** Weighted sum of the rewards, then the group normalisation (TRL's default). */
        SUM_THEN_NORMALIZE,
        /** Each function normalised within its group, the weighted sum normalised over the batch (GDPO). */
        NORMALIZE_THEN_SUM
    }

    /**
     * GRPO's advantages.
     *
     * @param rewards [completion][function] rewards, NaN where a function abstains
     * @param names   the functions' names, for the metrics
     * @param weights {@code reward_weights}
     * @param group   completions per prompt ({@code num_generations})
     */
    public static Result grpo(double[][] rewards, List<String> names, double[] weights, int group,
                              ScaleRewards scale, Aggregation aggregation) {
        int n = check(rewards, names, weights, group);
        boolean[] unscorable = unscorable(rewards);
        double[] total = weightedSum(rewards, weights, unscorable);
        double[] advantages = new double[n];
        double[] std = new double[n];
        if (aggregation == Aggregation.SUM_THEN_NORMALIZE) {
            for (int g = 0; g < n; g += group) {
                double mean = nanMean(total, g, g + group);
                double groupStd = group > 1 ? nanStd(total, g, g + group) : 0;
                for (int i = g; i < g + group; i++) {
                    advantages[i] = total[i] - mean;
                    std[i] = groupStd;
                }
            }
            if (scale == ScaleRewards.BATCH) {
                double batchStd = n > 1 ? nanStd(total, 0, n) : 0;
                Arrays.fill(std, batchStd);
            }
            if (scale != ScaleRewards.NONE) {
                for (int i = 0; i < n; i++) {
                    advantages[i] /= std[i] + EPS;
                }
            }
        } else {
            int k = names.size();
            double[] normalized = new double[n];
            for (int f = 0; f < k; f++) {
                double[] column = column(rewards, f);
                for (int g = 0; g < n; g += group) {
                    double mean = nanMean(column, g, g + group);
                    double groupStd = group > 1 ? nanStd(column, g, g + group) : 0;
                    for (int i = g; i < g + group; i++) {
                        double z = (column[i] - mean) / (groupStd + EPS);
                        if (!Double.isNaN(z)) {
                            normalized[i] += weights[f] * z;
                        }
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                if (unscorable[i]) {
                    normalized[i] = Double.NaN;
                }
            }
            double batchStd = n > 1 ? nanStd(normalized, 0, n) : 0;
            double batchMean = nanMean(normalized, 0, n);
            for (int i = 0; i < n; i++) {
                advantages[i] = (normalized[i] - batchMean) / (batchStd + EPS);
                std[i] = batchStd;
            }
        }
        zeroNaN(advantages);
        return new Result(advantages, metrics(rewards, names, total, std));
    }

    /**
     * RLOO's advantages.
     *
     * @param rewards             [completion][function] rewards, NaN where a function abstains
     * @param names               the functions' names, for the metrics
     * @param weights             {@code reward_weights}
     * @param group               completions per prompt ({@code num_generations})
     * @param clipRange           {@code reward_clip_range} as {min, max}, or null
     * @param klPenalty           β·Σ_t (log π_θold − log π_ref) per completion, subtracted from its reward, or null
     *                            when β is 0
     * @param normalizeAdvantages {@code normalize_advantages}: standardise the advantages over the batch
     */
    public static Result rloo(double[][] rewards, List<String> names, double[] weights, int group,
                              double[] clipRange, double[] klPenalty, boolean normalizeAdvantages) {
        int n = check(rewards, names, weights, group);
        boolean[] unscorable = unscorable(rewards);
        double[] total = weightedSum(rewards, weights, unscorable);
        double[] shaped = total.clone();
        for (int i = 0; i < n; i++) {
            if (clipRange != null) {
                shaped[i] = Math.min(Math.max(shaped[i], clipRange[0]), clipRange[1]);
            }
            if (klPenalty != null) {
                shaped[i] -= klPenalty[i];
            }
        }
        double[] advantages = new double[n];
        double[] std = new double[n];
        for (int g = 0; g < n; g += group) {
            double sum = 0;
            int scorable = 0;
            for (int i = g; i < g + group; i++) {
                if (!Double.isNaN(shaped[i])) {
                    sum += shaped[i];
                    scorable++;
                }
            }
            double groupStd = group > 1 ? nanStd(shaped, g, g + group) : 0;
            for (int i = g; i < g + group; i++) {
                advantages[i] = group > 1 ? shaped[i] - (sum - shaped[i]) / (scorable - 1) : 0;
                std[i] = groupStd;
            }
        }
        if (normalizeAdvantages) {
            double mean = nanMean(advantages, 0, n);
            double sd = nanStd(advantages, 0, n);
            for (int i = 0; i < n; i++) {
                advantages[i] = (advantages[i] - mean) / (sd + EPS);
            }
        }
        zeroNaN(advantages);
        return new Result(advantages, metrics(rewards, names, total, std));
    }

    private static int check(double[][] rewards, List<String> names, double[] weights, int group) {
        int n = rewards.length;
        if (group <= 0 || n == 0 || n % group != 0) {
            throw new IllegalArgumentException(n + " completions do not make groups of " + group);
        }
        if (weights.length != names.size()) {
            throw new IllegalArgumentException(weights.length + " weights for " + names.size() + " functions");
        }
        for (double[] row : rewards) {
            if (row.length != names.size()) {
                throw new IllegalArgumentException(row.length + " rewards for " + names.size() + " functions");
            }
        }
        return n;
    }

    private static boolean[] unscorable(double[][] rewards) {
        boolean[] out = new boolean[rewards.length];
        for (int i = 0; i < rewards.length; i++) {
            out[i] = true;
            for (double r : rewards[i]) {
                out[i] &= Double.isNaN(r);
            }
        }
        return out;
    }

    /** Σ_k w_k r_k, abstentions counted as 0, NaN where every function abstains (TRL's nansum). */
    private static double[] weightedSum(double[][] rewards, double[] weights, boolean[] unscorable) {
        double[] total = new double[rewards.length];
        for (int i = 0; i < total.length; i++) {
            if (unscorable[i]) {
                total[i] = Double.NaN;
                continue;
            }
            for (int f = 0; f < weights.length; f++) {
                if (!Double.isNaN(rewards[i][f])) {
                    total[i] += weights[f] * rewards[i][f];
                }
            }
        }
        return total;
    }

    private static Map<String, Double> metrics(double[][] rewards, List<String> names, double[] total, double[] std) {
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (int f = 0; f < names.size(); f++) {
            double[] column = column(rewards, f);
            metrics.put("rewards/" + names.get(f) + "/mean", nanMean(column, 0, column.length));
            metrics.put("rewards/" + names.get(f) + "/std", nanStd(column, 0, column.length));
        }
        metrics.put("reward", nanMean(total, 0, total.length));
        metrics.put("reward_std", nanStd(total, 0, total.length));
        double zero = 0;
        for (double s : std) {
            zero += Math.abs(s) <= 1e-8 ? 1 : 0;
        }
        metrics.put("frac_reward_zero_std", zero / std.length);
        return metrics;
    }

    private static double[] column(double[][] rewards, int f) {
        double[] column = new double[rewards.length];
        for (int i = 0; i < column.length; i++) {
            column[i] = rewards[i][f];
        }
        return column;
    }

    /** The mean of the non-NaN values of [from, to); NaN when there are none. */
    static double nanMean(double[] values, int from, int to) {
        double sum = 0;
        int count = 0;
        for (int i = from; i < to; i++) {
            if (!Double.isNaN(values[i])) {
                sum += values[i];
                count++;
            }
        }
        return count == 0 ? Double.NaN : sum / count;
    }

    /** The unbiased standard deviation of the non-NaN values of [from, to); NaN for fewer than two. */
    static double nanStd(double[] values, int from, int to) {
        double mean = nanMean(values, from, to);
        double squares = 0;
        int count = 0;
        for (int i = from; i < to; i++) {
            if (!Double.isNaN(values[i])) {
                squares += (values[i] - mean) * (values[i] - mean);
                count++;
            }
        }
        return count > 1 ? Math.sqrt(squares / (count - 1)) : Double.NaN;
    }

    private static void zeroNaN(double[] values) {
        for (int i = 0; i < values.length; i++) {
            if (Double.isNaN(values[i])) {
                values[i] = 0;
            }
        }
    }
}
