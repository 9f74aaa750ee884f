package org.align4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.align4j.tensor.BFloat16;
import org.align4j.tensor.cpu.Gemm.Layout;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@Tag("kernels")
class GemmTest {

    /** Shapes {m, n, k}: edge cases, thin problems, tile edges, several k-blocks, row blocks and column blocks. */
    private static final int[][] SHAPES = {
            {1, 1, 1}, {1, 1, 0}, {3, 5, 0}, {0, 4, 3}, {4, 0, 3}, {2, 3, 1},
            {1, 37, 19}, {1, 1000, 64}, {3, 100, 65}, {4, 70, 300},
            {37, 1, 23}, {50, 3, 77}, {300, 8, 40}, {5, 9, 4},
            {8, 48, 256}, {16, 96, 512}, {9, 9, 9}, {17, 49, 257}, {33, 95, 300}, {100, 130, 520},
            {400, 150, 70}, {65, 20, 2500}, {7, 500, 2100},
    };

    private static final float RELATIVE_TOLERANCE = 1e-5f;
    /** k-steps per fma chain in the row kernel. */
    private static final int ROW_SLAB = 64;

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (Layout layout : Layout.values()) {
            for (int[] s : SHAPES) {
                cases.add(Arguments.of(layout, s[0], s[1], s[2]));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} m={1} n={2} k={3}")
    @MethodSource("cases")
    void vectorMatchesScalarTwin(Layout layout, int m, int n, int k) {
        SplittableRandom random = new SplittableRandom(31L * m + 7L * n + k + layout.ordinal());
        for (boolean accumulate : new boolean[] {false, true}) {
            for (int offset : new int[] {0, 13}) {
                float[] a = random(random, offset + m * k + 3);
                int bOff = offset * 2 + 1;
                float[] b = random(random, bOff + k * n + 5);
                float[] c0 = random(random, offset + m * n + 7);
                float[] expected = c0.clone();
                float[] actual = c0.clone();
                if (!accumulate) {
                    // overwriting must ignore what was in C
                    Arrays.fill(actual, offset, offset + m * n, Float.NaN);
                }
                scalar(layout, a, offset, b, bOff, expected, offset, m, n, k, accumulate);
                vector(layout, a, offset, b, bOff, actual, offset, m, n, k, accumulate);
                for (int i = 0; i < c0.length; i++) {
                    boolean inside = i >= offset && i < offset + m * n;
                    if (!inside) {
                        assertEquals(c0[i], actual[i], 0f, "element outside C changed at " + i);
                        continue;
                    }
                    int row = (i - offset) / n;
                    int col = (i - offset) % n;
                    double magnitude = magnitude(layout, a, offset, b, bOff, m, n, k, row, col)
                            + (accumulate ? Math.abs(c0[i]) : 0);
                    double error = Math.abs((double) actual[i] - expected[i]);
                    if (!(error <= RELATIVE_TOLERANCE * magnitude + 1e-30)) {
                        fail(layout + " accumulate=" + accumulate + " offset=" + offset + " C(" + row + "," + col
                                + "): vector " + actual[i] + " scalar " + expected[i] + " magnitude " + magnitude);
                    }
                }
            }
        }
    }

    /**
     * The packed and column-strip kernels compute each element as one fma chain in k order; the row kernel (at most 4
     * rows, nn and tn) as one chain per slab of 64 k-steps, the later slabs' sums added to the first's in order.
     */
    @ParameterizedTest(name = "{0} m={1} n={2} k={3}")
    @MethodSource("cases")
    void fusedChainKernelsAreExact(Layout layout, int m, int n, int k) {
        boolean dotProductPath = (layout == Layout.NT && (m <= 4 || n <= 8)) || (layout == Layout.NN && m > 4 && n <= 8);
        if (dotProductPath) {
            return;
        }
        SplittableRandom random = new SplittableRandom(5L * m + 3L * n + k);
        float[] a = random(random, m * k);
        float[] b = random(random, k * n);
        float[] c0 = random(random, m * n);
        for (boolean accumulate : new boolean[] {false, true}) {
            float[] expected = c0.clone();
            float[] actual = c0.clone();
            int slab = m <= 4 ? ROW_SLAB : Math.max(k, 1);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float total = accumulate ? c0[i * n + j] : 0f;
                    for (int p0 = 0; p0 < k; p0 += slab) {
                        float sum = p0 == 0 ? total : 0f;
                        for (int p = p0; p < Math.min(k, p0 + slab); p++) {
                            sum = Math.fma(elementA(layout, a, 0, m, k, i, p), elementB(layout, b, 0, n, k, p, j),
                                    sum);
                        }
                        total = p0 == 0 ? sum : total + sum;
                    }
                    expected[i * n + j] = total;
                }
            }
            vector(layout, a, 0, b, 0, actual, 0, m, n, k, accumulate);
            assertArrayEquals(expected, actual, 0f, layout + " accumulate=" + accumulate);
        }
    }

    /**
     * A bfloat16 B gives, on every path and at every offset, bit for bit what the float32 GEMM gives on B's widened
     * values, with and without threads.
     */
    @ParameterizedTest(name = "{0} m={1} n={2} k={3}")
    @MethodSource("cases")
    void bfloat16OperandEqualsFloat32OfItsValues(Layout layout, int m, int n, int k) {
        if (layout == Layout.TN) {
            return;
        }
        SplittableRandom random = new SplittableRandom(17L * m + 5L * n + k + layout.ordinal());
        for (int offset : new int[] {0, 13}) {
            float[] a = random(random, offset + m * k + 3);
            int bOff = offset * 2 + 1;
            short[] bits = new short[bOff + k * n + 5];
            float[] widened = new float[bits.length];
            for (int i = 0; i < bits.length; i++) {
                bits[i] = BFloat16.fromFloat((float) (random.nextDouble() * 2 - 1));
                widened[i] = BFloat16.toFloat(bits[i]);
            }
            float[] c0 = random(random, offset + m * n + 7);
            for (boolean accumulate : new boolean[] {false, true}) {
                for (boolean threads : new boolean[] {false, true}) {
                    float[] expected = c0.clone();
                    float[] actual = c0.clone();
                    Gemm.multiply(layout, a, offset, widened, null, bOff, expected, offset, m, n, k, accumulate,
                            threads);
                    Gemm.multiply(layout, a, offset, null, bits, bOff, actual, offset, m, n, k, accumulate, threads);
                    assertArrayEquals(expected, actual, 0f,
                            layout + " offset=" + offset + " accumulate=" + accumulate + " threads=" + threads);
                }
            }
        }
    }

    @Test
    void bfloat16OperandIsNotReadByTn() {
        float[] x = new float[4];
        short[] bits = new short[4];
        assertThrows(IllegalArgumentException.class,
                () -> Gemm.multiply(Layout.TN, x, 0, null, bits, 0, x, 0, 2, 2, 1, false, false));
    }

    /** Results must not depend on the thread count: compare a parallel run with a run on the calling thread. */
    @Test
    void parallelRunsAreBitIdenticalToSingleThreaded() {
        int[][] shapes = {{300, 200, 300}, {3, 3000, 100}, {1, 3001, 100}, {1, 999, 1001}, {500, 5, 100},
            {2000, 3, 100}, {257, 1000, 64}};
        SplittableRandom random = new SplittableRandom(99);
        for (Layout layout : Layout.values()) {
            for (int[] s : shapes) {
                int m = s[0];
                int n = s[1];
                int k = s[2];
                float[] a = random(random, m * k);
                float[] b = random(random, k * n);
                float[] c0 = random(random, m * n);
                for (boolean accumulate : new boolean[] {false, true}) {
                    float[] single = c0.clone();
                    float[] parallel = c0.clone();
                    Gemm.multiply(layout, a, 0, b, null, 0, single, 0, m, n, k, accumulate, false);
                    Gemm.multiply(layout, a, 0, b, null, 0, parallel, 0, m, n, k, accumulate, true);
                    assertArrayEquals(single, parallel, 0f, layout + " " + m + "x" + n + "x" + k);
                }
            }
        }
    }

    @Test
    void rejectsBadArguments() {
        float[] x = new float[12];
        assertThrows(IllegalArgumentException.class, () -> Gemm.nn(x, 0, x, 0, x, 0, -1, 2, 2, false));
        assertThrows(IndexOutOfBoundsException.class, () -> Gemm.nt(x, 1, x, 0, x, 0, 3, 2, 4, false));
        assertThrows(IndexOutOfBoundsException.class, () -> Gemm.tn(x, 0, x, 0, x, 0, 4, 4, 1, false));
        assertThrows(IndexOutOfBoundsException.class, () -> Gemm.ntScalar(x, 0, new float[3], 0, x, 0, 2, 2, 2, false));
    }

    private static void vector(Layout layout, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                               int m, int n, int k, boolean accumulate) {
        switch (layout) {
            case NN -> Gemm.nn(a, aOff, b, bOff, c, cOff, m, n, k, accumulate);
            case NT -> Gemm.nt(a, aOff, b, bOff, c, cOff, m, n, k, accumulate);
            case TN -> Gemm.tn(a, aOff, b, bOff, c, cOff, m, n, k, accumulate);
        }
    }

    private static void scalar(Layout layout, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                               int m, int n, int k, boolean accumulate) {
        switch (layout) {
            case NN -> Gemm.nnScalar(a, aOff, b, bOff, c, cOff, m, n, k, accumulate);
            case NT -> Gemm.ntScalar(a, aOff, b, bOff, c, cOff, m, n, k, accumulate);
            case TN -> Gemm.tnScalar(a, aOff, b, bOff, c, cOff, m, n, k, accumulate);
        }
    }

    private static float elementA(Layout layout, float[] a, int aOff, int m, int k, int i, int p) {
        return layout == Layout.TN ? a[aOff + p * m + i] : a[aOff + i * k + p];
    }

    private static float elementB(Layout layout, float[] b, int bOff, int n, int k, int p, int j) {
        return layout == Layout.NT ? b[bOff + j * k + p] : b[bOff + p * n + j];
    }

    /** Σ_p |A(i,p)| |B(p,j)|: the scale of the rounding error of C(i,j). */
    private static double magnitude(Layout layout, float[] a, int aOff, float[] b, int bOff, int m, int n, int k,
                                    int i, int j) {
        double sum = 0;
        for (int p = 0; p < k; p++) {
            sum += Math.abs((double) elementA(layout, a, aOff, m, k, i, p) * elementB(layout, b, bOff, n, k, p, j));
        }
        return sum;
    }

    private static float[] random(SplittableRandom random, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return x;
    }
}
