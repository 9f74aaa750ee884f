package org.align4j.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Frontiers as best reward at KL ≤ level, and dominance strict and within noise. */
class FrontierComparisonTest {
    private static FrontierPoint p(double kl, double reward, double se) {
        return new FrontierPoint(0, kl, reward, 0, se);
    }

    @Test
    void frontierIsTheBestRewardAtOrBelowEachLevel() {
        List<FrontierPoint> points = List.of(p(0, 0.5, 0), p(2, 0.7, 0), p(1, 0.6, 0), p(3, 0.65, 0));
        assertNull(FrontierComparison.bestAt(points, -0.1));
        assertEquals(0.5, FrontierComparison.bestAt(points, 0.5));
        assertEquals(0.6, FrontierComparison.bestAt(points, 1));
        assertEquals(0.7, FrontierComparison.bestAt(points, 10));
    }

    @Test
    void dominanceIsStrictOrWithinTwoStandardErrors() {
        Map<String, List<FrontierPoint>> families = new LinkedHashMap<>();
        families.put("DPO", List.of(p(0, 0.5, 0.01), p(1, 0.6, 0.01), p(4, 0.8, 0.01)));
        families.put("worse", List.of(p(0, 0.5, 0.01), p(2, 0.55, 0.01), p(8, 0.79, 0.01)));
        families.put("close", List.of(p(1, 0.61, 0.01)));
        families.put("better", List.of(p(0.5, 0.7, 0.01)));
        FrontierComparison c = FrontierComparison.of("DPO", families);
        assertEquals(List.of(0.0, 0.5, 1.0, 2.0, 4.0, 8.0), c.levels());
        assertEquals(Arrays.asList(null, null, 0.61, 0.61, 0.61, 0.61), c.frontiers().get("close"));

        FrontierComparison.Versus worse = c.versus().get("worse");
        assertEquals(6, worse.levelsCompared());
        assertTrue(worse.dominates() && worse.dominatesWithinNoise());
        assertEquals(0.0, worse.minDifference(), 1e-12);

        FrontierComparison.Versus close = c.versus().get("close");
        assertEquals(4, close.levelsCompared());
        assertEquals(2, close.levelsAtLeast());
        assertFalse(close.dominates());
        assertEquals(-0.01 / Math.hypot(0.01, 0.01), close.minZ(), 1e-9);
        assertTrue(close.dominatesWithinNoise());

        FrontierComparison.Versus better = c.versus().get("better");
        assertFalse(better.dominates() || better.dominatesWithinNoise());
        assertFalse(c.dominates() || c.dominatesWithinNoise());
        assertTrue(FrontierComparison.of("DPO", Map.of("DPO", families.get("DPO"), "worse", families.get("worse")))
                .dominates());
    }
}
