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
 * least the other's at every such level.
 *
 * @param reference  the family compared with the others (DPO)
 * @param levels     the KL levels, ascending
 * @param frontiers  each family's best reward at KL ≤ each level (null where it has no point so low), by family
 * @param versus     the comparison with each other family
 * @param dominates  whether the reference dominates every other family that has comparable levels
 */
public record FrontierComparison(String reference, List<Double> levels, Map<String, List<Double>> frontiers,
                                 Map<String, Versus> versus, boolean dominates) {

    /**
     * The reference family against one other.
     *
     * @param levelsCompared levels where both have a point at or below
     * @param levelsAtLeast  of these, the levels where the reference's best reward is at least the other's
     * @param dominates      whether that holds at every compared level (and there is one)
     * @param minDifference  the smallest reference − other difference of best rewards over compared levels
     * @param meanDifference the mean difference over compared levels
     */
    public record Versus(int levelsCompared, int levelsAtLeast, boolean dominates, double minDifference,
                         double meanDifference) {
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
        List<Double> ours = frontiers.get(reference);
        boolean all = true;
        for (Map.Entry<String, List<Double>> e : frontiers.entrySet()) {
            if (e.getKey().equals(reference)) {
                continue;
            }
            int compared = 0;
            int atLeast = 0;
            double min = Double.POSITIVE_INFINITY;
            double sum = 0;
            for (int i = 0; i < levels.size(); i++) {
                Double a = ours.get(i);
                Double b = e.getValue().get(i);
                if (a != null && b != null) {
                    compared++;
                    atLeast += a >= b ? 1 : 0;
                    min = Math.min(min, a - b);
                    sum += a - b;
                }
            }
            Versus v = new Versus(compared, atLeast, compared > 0 && atLeast == compared,
                    compared > 0 ? min : Double.NaN, compared > 0 ? sum / compared : Double.NaN);
            versus.put(e.getKey(), v);
            all &= v.dominates() || compared == 0;
        }
        return new FrontierComparison(reference, levels, frontiers, versus, all);
    }

    /** The best reward of {@code points} at KL ≤ {@code level}, or null when none is that low. */
    public static Double bestAt(List<FrontierPoint> points, double level) {
        Double best = null;
        for (FrontierPoint p : points) {
            if (p.kl() <= level && (best == null || p.reward() > best)) {
                best = p.reward();
            }
        }
        return best;
    }
}
