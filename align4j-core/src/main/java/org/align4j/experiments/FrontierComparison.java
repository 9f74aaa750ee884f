package org.align4j.experiments;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Whether one family's reward/KL frontier dominates the others' (the claim of Rafailov et al. 2023, Fig. 2 left, that
 * DPO's frontier dominates PPO's and the baselines'). A family's frontier at KL level L is the best reward any of its
 * points reached at KL ≤ L. The levels are every KL value observed; at each level where both families have a point
 * at or below it, the reference family is compared with the other. It dominates the other when its best reward is at
 * least the other's at every such level, and dominates it within noise when at no such level the other's best reward
 * exceeds its own by more than {@value #NOISE_SIGMAS} standard errors of the difference (the two points' standard
 * errors combined in quadrature).
 *
 * @param reference  the family compared with the others (DPO)
 * @param levels     the KL levels, ascending
 * @param frontiers  each family's best reward at KL ≤ each level (null where it has no point so low), by family
 * @param versus     the comparison with each other family
 * @param dominates  whether the reference dominates every other family that has comparable levels
 * @param dominatesWithinNoise whether it dominates every such family within noise
 */
public record FrontierComparison(String reference, List<Double> levels, Map<String, List<Double>> frontiers,
                                 Map<String, Versus> versus, boolean dominates, boolean dominatesWithinNoise) {
    /** Standard errors of a difference of best rewards that count as noise. */
    public static final double NOISE_SIGMAS = 2.0;

    /**
     * The reference family against one other.
     *
     * @param levelsCompared levels where both have a point at or below
     * @param levelsAtLeast  of these, the levels where the reference's best reward is at least the other's
     * @param dominates      whether that holds at every compared level (and there is one)
     * @param minDifference  the smallest reference − other difference of best rewards over compared levels
     * @param meanDifference the mean difference over compared levels
     * @param minZ           the smallest difference divided by its standard error (infinite where that is 0)
     * @param dominatesWithinNoise whether no compared level has the other ahead by more than {@value #NOISE_SIGMAS}
     *                       standard errors (and there is one)
     */
    public record Versus(int levelsCompared, int levelsAtLeast, boolean dominates, double minDifference,
                         double meanDifference, double minZ, boolean dominatesWithinNoise) {
    }

    /** Compares {@code reference} with every other family of {@code families} (points by family). */
    public static FrontierComparison of(String reference, Map<String, List<FrontierPoint>> families) {
        if (!families.containsKey(reference)) {
            throw new IllegalArgumentException("no family " + reference + " among " + families.keySet());
        }
        TreeSet<Double> kls = new TreeSet<>();
        families.values().forEach(points -> points.forEach(p -> kls.add(p.kl())));
        List<Double> levels = List.copyOf(kls);
        Map<String, List<Double>> frontiers = new LinkedHashMap<>();
        families.forEach((family, points) -> {
            List<Double> best = new ArrayList<>(levels.size());
            for (double level : levels) {
                best.add(bestAt(points, level));
            }
            frontiers.put(family, best);
        });
        Map<String, Versus> versus = new LinkedHashMap<>();
        List<FrontierPoint> ours = families.get(reference);
        boolean all = true;
        boolean allWithinNoise = true;
        for (Map.Entry<String, List<FrontierPoint>> e : families.entrySet()) {
            if (e.getKey().equals(reference)) {
                continue;
            }
            int compared = 0;
            int atLeast = 0;
            double min = Double.POSITIVE_INFINITY;
            double minZ = Double.POSITIVE_INFINITY;
            double sum = 0;
            for (double level : levels) {
                FrontierPoint a = bestPointAt(ours, level);
                FrontierPoint b = bestPointAt(e.getValue(), level);
                if (a != null && b != null) {
                    double d = a.reward() - b.reward();
                    double se = Math.hypot(a.rewardStdErr(), b.rewardStdErr());
                    compared++;
                    atLeast += d >= 0 ? 1 : 0;
                    min = Math.min(min, d);
                    minZ = Math.min(minZ, d == 0 ? 0 : d / se);
                    sum += d;
                }
            }
            boolean any = compared > 0;
            Versus v = new Versus(compared, atLeast, any && atLeast == compared, any ? min : Double.NaN,
                    any ? sum / compared : Double.NaN, any ? minZ : Double.NaN, any && minZ >= -NOISE_SIGMAS);
            versus.put(e.getKey(), v);
            all &= v.dominates() || !any;
            allWithinNoise &= v.dominatesWithinNoise() || !any;
        }
        return new FrontierComparison(reference, levels, frontiers, versus, all, allWithinNoise);
    }

    /** The point of {@code points} with the best reward at KL ≤ {@code level} (the first of equals), or null. */
    public static FrontierPoint bestPointAt(List<FrontierPoint> points, double level) {
        FrontierPoint best = null;
        for (FrontierPoint p : points) {
            if (p.kl() <= level && (best == null || p.reward() > best.reward())) {
                best = p;
            }
        }
        return best;
    }

    /** The best reward of {@code points} at KL ≤ {@code level}, or null when none is that low. */
    public static Double bestAt(List<FrontierPoint> points, double level) {
        FrontierPoint best = bestPointAt(points, level);
        return best == null ? null : best.reward();
    }
}
