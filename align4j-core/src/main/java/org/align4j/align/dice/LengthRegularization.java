package org.align4j.align.dice;

import java.util.ArrayList;
import java.util.List;

/**
 * DICE's length-regularised reward shaping (Chen et al. 2025, "Bootstrapping Language Models with DPO Implicit
 * Rewards", Section 3.2, eq. 6): each sampled response gets r = s − α |y|, where s is its implicit reward; per prompt
 * chosen = argmax r and rejected = argmin r; α is the value of a grid whose pairs are least length-biased, i.e.
 * minimise |mean |y_chosen| − mean |y_rejected|| over the pairs that α produces.
 *
 * <p>Only responses that ended ({@link DiceSample#ended()}) take part. A prompt is skipped when fewer than
 * {@code minValid} of its responses ended, or when argmax and argmin are the same response or two responses with
 * the same content (the same decoded text, or the same ids without text), which would make a pair that teaches
 * nothing. The sweep tries every α of the grid (the authors' script stops at the first α whose gap grows; the full
 * grid finds the same optimum when the gap is unimodal in α and does not depend on that otherwise) and keeps the one
 * with the smallest absolute gap, the smallest α among equals; when no α gives a pair, the first α is kept.
 */
public final class LengthRegularization {
    private LengthRegularization() {
    }

    /**
     * Mean lengths of a set of pairs.
     *
     * @param pairs          number of pairs
     * @param meanChosen     mean |y_chosen| (NaN without pairs)
     * @param meanRejected   mean |y_rejected| (NaN without pairs)
     */
    public record LengthStats(int pairs, double meanChosen, double meanRejected) {
        /** mean |y_chosen| − mean |y_rejected| (NaN without pairs). */
        public double gap() {
            return meanChosen - meanRejected;
        }
    }

    /** One α tried by the sweep and the length gap of its pairs. */
    public record SweepPoint(double alpha, int pairs, double gap) {
    }

    /**
     * The sweep's outcome.
     *
     * @param alpha  the chosen α
     * @param before lengths of the pairs at α = 0 (no regularisation)
     * @param after  lengths of the pairs at the chosen α
     * @param pairs  the pairs at the chosen α, in prompt order
     * @param points every α tried, in grid order
     */
    public record Sweep(double alpha, LengthStats before, LengthStats after, List<DicePair> pairs,
                        List<SweepPoint> points) {
    }

    /**
     * The pairs r = s − α |y| gives, one per prompt that has at least {@code minValid} ended responses and whose
     * argmax and argmin differ in content.
     *
     * @param byPrompt the scored samples of each prompt (cut ones are ignored)
     */
    public static List<DicePair> pairs(List<List<DiceSample>> byPrompt, double alpha, DiceConfig.LengthUnit unit,
                                       int minValid) {
        List<DicePair> pairs = new ArrayList<>();
        for (List<DiceSample> samples : byPrompt) {
            List<DiceSample> valid = samples.stream().filter(DiceSample::ended).toList();
            if (valid.size() < minValid) {
                continue;
            }
            int best = 0;
            int worst = 0;
            double[] r = new double[valid.size()];
            for (int i = 0; i < r.length; i++) {
                r[i] = valid.get(i).score() - alpha * valid.get(i).length(unit);
                if (r[i] > r[best]) {
                    best = i;
                }
                if (r[i] < r[worst]) {
                    worst = i;
                }
            }
            if (!valid.get(best).sameContent(valid.get(worst))) {
                pairs.add(new DicePair(valid.get(best).prompt(), valid.get(best), valid.get(worst), r[best],
                        r[worst]));
            }
        }
        return pairs;
    }

    /** The mean chosen and rejected lengths of {@code pairs}. */
    public static LengthStats stats(List<DicePair> pairs, DiceConfig.LengthUnit unit) {
        double chosen = 0;
        double rejected = 0;
        for (DicePair p : pairs) {
            chosen += p.chosen().length(unit);
            rejected += p.rejected().length(unit);
        }
        int n = pairs.size();
        return new LengthStats(n, n == 0 ? Double.NaN : chosen / n, n == 0 ? Double.NaN : rejected / n);
    }

    /** Tries every α of {@code grid} (ascending) and keeps the least length-biased, as the class describes. */
    public static Sweep sweep(List<List<DiceSample>> byPrompt, List<Double> grid, DiceConfig.LengthUnit unit,
                              int minValid) {
        List<SweepPoint> points = new ArrayList<>(grid.size());
        int best = -1;
        List<DicePair> bestPairs = null;
        for (int i = 0; i < grid.size(); i++) {
            List<DicePair> pairs = pairs(byPrompt, grid.get(i), unit, minValid);
            double gap = stats(pairs, unit).gap();
            points.add(new SweepPoint(grid.get(i), pairs.size(), gap));
            if (!Double.isNaN(gap) && (best < 0 || Math.abs(gap) < Math.abs(points.get(best).gap()))) {
                best = i;
                bestPairs = pairs;
            }
        }
        if (best < 0) {
            best = 0;
            bestPairs = List.of();
        }
        return new Sweep(grid.get(best), stats(pairs(byPrompt, 0, unit, minValid), unit), stats(bestPairs, unit),
                List.copyOf(bestPairs), List.copyOf(points));
    }
}
