package org.align4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.align4j.tensor.Kernels;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The counter-based Gaussian of {@link Kernels#scaleAddGaussian}: the vector form equals the scalar twin bit for bit,
 * z depends only on (stream, index), and a million draws are standard normal (moments, tails, a Kolmogorov-Smirnov
 * bound, no correlation between neighbours or streams).
 */
@Tag("kernels")
class GaussianTest {
    private static final Kernels SCALAR = new ScalarKernels();
    private static final Kernels VECTOR = new VectorKernels();
    private static final int DRAWS = 1_000_000;

    private static float[] draws(Kernels k, int n, long stream) {
        Tensor x = Tensor.of(new float[n], n);
        k.scaleAddGaussian(x, 0, n, stream, 1f, 1f);
        return x.data();
    }

    @Test
    void vectorEqualsScalarBitForBitOnOddLengthsAndOffsets() {
        Random random = new Random(5);
        int[][] ranges = {{0, 1}, {3, 4}, {1, 16}, {5, 22}, {7, 1000}, {13, 70_001}, {1023, 200_003}};
        float[][] moves = {{1f, 1f}, {1f, -2e-3f}, {0.999f, 0.37f}};
        for (int[] r : ranges) {
            for (float[] m : moves) {
                float[] start = new float[r[1] + 9];
                for (int i = 0; i < start.length; i++) {
                    start[i] = (float) random.nextGaussian();
                }
                Tensor a = Tensor.of(start.clone(), start.length);
                Tensor b = Tensor.of(start.clone(), start.length);
                long stream = random.nextLong();
                SCALAR.scaleAddGaussian(a, r[0], r[1], stream, m[0], m[1]);
                VECTOR.scaleAddGaussian(b, r[0], r[1], stream, m[0], m[1]);
                assertArrayEquals(a.data(), b.data(), "range " + Arrays.toString(r) + " move " + Arrays.toString(m));
                assertEquals(start[r[1]], a.data()[r[1]], "after the range untouched");
                if (r[0] > 0) {
                    assertEquals(start[r[0] - 1], a.data()[r[0] - 1], "before the range untouched");
                }
                assertTrue(a.data()[r[0]] != start[r[0]], "inside the range moved");
            }
        }
    }

    @Test
    void zDependsOnlyOnStreamAndIndex() {
        int n = 100_003;
        float[] whole = draws(VECTOR, n, 42);
        for (int repeat = 0; repeat < 30; repeat++) {
            assertArrayEquals(whole, draws(VECTOR, n, 42), "regenerated, whatever the JIT tier, " + repeat);
        }
        Tensor pieces = Tensor.of(new float[n], n);
        VECTOR.scaleAddGaussian(pieces, 40_001, n, 42, 1f, 1f);
        SCALAR.scaleAddGaussian(pieces, 17, 40_001, 42, 1f, 1f);
        VECTOR.scaleAddGaussian(pieces, 0, 17, 42, 1f, 1f);
        assertArrayEquals(whole, pieces.data(), "slices in any order, on either backend");
        float[] other = draws(VECTOR, n, 43);
        int same = 0;
        for (int i = 0; i < n; i++) {
            same += whole[i] == other[i] ? 1 : 0;
        }
        assertTrue(same < 10, "another stream gives other draws: " + same + " equal");
    }

    @Test
    void aMillionDrawsAreStandardNormal() {
        float[] z = draws(VECTOR, DRAWS, 20_230_517L);
        double mean = 0;
        double m2 = 0;
        double m4 = 0;
        int beyond2 = 0;
        int beyond3 = 0;
        for (float v : z) {
            mean += v;
            m2 += (double) v * v;
            m4 += (double) v * v * v * v;
            beyond2 += Math.abs(v) > 2 ? 1 : 0;
            beyond3 += Math.abs(v) > 3 ? 1 : 0;
        }
        mean /= DRAWS;
        m2 /= DRAWS;
        m4 /= DRAWS;
        // Standard errors at 1e6 draws: mean 0.001, variance 0.0014, fourth moment 0.0097.
        assertEquals(0, mean, 0.005, "mean");
        assertEquals(1, m2, 0.007, "variance");
        assertEquals(3, m4, 0.05, "fourth moment");
        // Expected 45,500 ± 204 beyond 2 and 2,700 ± 52 beyond 3.
        assertEquals(45_500, beyond2, 1_000, "P(|z| > 2)");
        assertEquals(2_700, beyond3, 260, "P(|z| > 3)");
        float[] sorted = z.clone();
        Arrays.sort(sorted);
        double ks = 0;
        for (int i = 0; i < DRAWS; i++) {
            double phi = phi(sorted[i]);
            ks = Math.max(ks, Math.max(Math.abs((i + 1.0) / DRAWS - phi), Math.abs((double) i / DRAWS - phi)));
        }
        // The Kolmogorov-Smirnov statistic exceeds 1.95 / sqrt(n) with probability 0.001 under the null.
        assertTrue(ks < 1.95 / Math.sqrt(DRAWS), "KS distance " + ks);
        assertEquals(-1.959964, sorted[(int) (0.025 * DRAWS)], 0.01, "2.5% quantile");
        assertEquals(0, sorted[DRAWS / 2], 0.005, "median");
        assertEquals(1.644854, sorted[(int) (0.95 * DRAWS)], 0.01, "95% quantile");
    }

    @Test
    void neighboursAndStreamsAreUncorrelated() {
        float[] a = draws(VECTOR, DRAWS, 7 * 31);
        float[] b = draws(VECTOR, DRAWS, 7 * 31 + 1);
        double lag = 0;
        double cross = 0;
        for (int i = 0; i + 1 < DRAWS; i++) {
            lag += (double) a[i] * a[i + 1];
            cross += (double) a[i] * b[i];
        }
        // Standard error 0.001 for each correlation.
        assertEquals(0, lag / DRAWS, 0.005, "lag-1 correlation");
        assertEquals(0, cross / DRAWS, 0.005, "correlation of neighbouring streams");
    }

    @Test
    void polynomialLogAndSineAreAccurate() {
        for (int k = 1; k <= 1 << 24; k += 997) {
            float u = k * Gaussian.ULP24;
            assertEquals(Math.log(u), Gaussian.log(u), 2e-7 * Math.max(1, -Math.log(u)), "ln " + u);
        }
        assertEquals(0f, Gaussian.log(1f), "ln 1");
        for (int k = -1 << 22; k <= 1 << 22; k += 331) {
            float s = k * Gaussian.ULP24;
            assertEquals(Math.sin(2 * Math.PI * s), Gaussian.sin2Pi(s), 3e-7, "sin 2π·" + s);
        }
    }

    /** The standard normal CDF via erfc (Numerical Recipes' Chebyshev fit, relative error below 1.2e-7). */
    private static double phi(double x) {
        double z = Math.abs(x) / Math.sqrt(2);
        double t = 1 / (1 + 0.5 * z);
        double erfc = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - erfc / 2 : erfc / 2;
    }
}
