package org.align4j.tensor.cpu;

import org.align4j.tensor.Kernels;
import org.align4j.tensor.Parallel;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.align4j.tensor.cpu.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link VectorKernels} against {@link ScalarKernels} on random inputs: sizes around and above the vector length,
 * odd sizes, grouped and multi-query attention, padding masks, fewer queries than keys and ignored targets.
 * Outputs start from the same random values on both backends, so a kernel that fails to overwrite (forward) or to
 * accumulate (backward) shows up as a difference.
 */
@Tag("kernels")
class VectorKernelsTest {
    private static final Kernels SCALAR = new ScalarKernels();
    private static final Kernels VECTOR = new VectorKernels();
    /** Float vector arithmetic against the double-accumulating scalar twin. */
    private static final double RTOL = 1e-5;
    private static final int[] LENGTHS = {1, 15, 16, 17, 1000, 70_001};

    /** A kernel call writing into the given output tensors. */
    @FunctionalInterface
    private interface Call {
        void run(Kernels k, Tensor[] outputs);
    }

    private final Random random = new Random(2024);

    private static Tensor t(float[] a) {
        return Tensor.of(a, a.length);
    }

    private float[] gaussian(int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (scale * random.nextGaussian());
        }
        return a;
    }

    private static Tensor[] run(Kernels k, Call call, float[][] initial) {
        Tensor[] outputs = new Tensor[initial.length];
        for (int i = 0; i < initial.length; i++) {
            outputs[i] = t(initial[i].clone());
        }
        call.run(k, outputs);
        return outputs;
    }

    /**
     * Runs call on both backends from the same initial outputs and compares them. For accumulating kernels also
     * checks that the scalar result is the initial values plus the result from zeros.
     */
    private static void compare(String what, Call call, boolean accumulates, float[]... initial) {
        Tensor[] expected = run(SCALAR, call, initial);
        Tensor[] actual = run(VECTOR, call, initial);
        for (int i = 0; i < initial.length; i++) {
            assertClose(what + " output " + i, expected[i].data(), actual[i].data(), RTOL);
        }
        if (accumulates) {
            float[][] zeros = new float[initial.length][];
            for (int i = 0; i < initial.length; i++) {
                zeros[i] = new float[initial[i].length];
            }
            Tensor[] fromZero = run(SCALAR, call, zeros);
            for (int i = 0; i < initial.length; i++) {
                float[] sum = fromZero[i].data().clone();
                for (int j = 0; j < sum.length; j++) {
                    sum[j] += initial[i][j];
                }
                assertClose(what + " accumulates into output " + i, sum, expected[i].data(), 1e-6);
            }
        }
    }

    @Test
    void matmulAllLayoutsWithOffsetsAndAccumulation() {
        int[][] shapes = {{1, 1, 1}, {3, 17, 5}, {33, 20, 70}};
        for (int[] s : shapes) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            Tensor a = t(gaussian(3 + m * k, 1));
            Tensor b = t(gaussian(2 + k * n, 1));
            for (boolean accumulate : new boolean[] {false, true}) {
                String shape = m + "x" + n + "x" + k + " accumulate=" + accumulate;
                float[] c = gaussian(1 + m * n, 1);
                compare("matmulNN " + shape,
                        (kk, o) -> kk.matmulNN(a, 3, b, 2, o[0], 1, m, n, k, accumulate), false, c);
                compare("matmulNT " + shape,
                        (kk, o) -> kk.matmulNT(a, 3, b, 2, o[0], 1, m, n, k, accumulate), false, c);
                compare("matmulTN " + shape,
                        (kk, o) -> kk.matmulTN(a, 3, b, 2, o[0], 1, m, n, k, accumulate), false, c);
            }
        }
    }

    /** A bfloat16 weight operand: both backends widen it, and the vector one equals float32 on the widened values. */
    @Test
    void bfloat16WeightsInMatmulAndEmbedding() {
        int[][] shapes = {{1, 40, 33}, {3, 17, 5}, {33, 70, 70}};
        for (int[] s : shapes) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            Tensor a = t(gaussian(m * k, 1));
            Tensor weights = t(gaussian(k * n, 1)).toBfloat16();
            Tensor widened = weights.toFloat32();
            String shape = m + "x" + n + "x" + k;
            float[] c = gaussian(m * n, 1);
            compare("bf16 matmulNN " + shape, (kk, o) -> kk.matmulNN(a, 0, weights, 0, o[0], 0, m, n, k, true), false,
                    c);
            compare("bf16 matmulNT " + shape, (kk, o) -> kk.matmulNT(a, 0, weights, 0, o[0], 0, m, n, k, false),
                    false, c);
            assertArrayEquals(run(VECTOR, (kk, o) -> kk.matmulNT(a, 0, widened, 0, o[0], 0, m, n, k, false), new float[][] {c})[0]
                    .data(), run(VECTOR, (kk, o) -> kk.matmulNT(a, 0, weights, 0, o[0], 0, m, n, k, false), new float[][] {c})[0]
                    .data(), 0f, "bf16 matmulNT " + shape + " equals float32 of its values");
        }
        int vocab = 9;
        int dim = 37;
        int[] ids = {3, 0, 8, 3, 5};
        Tensor table = t(gaussian(vocab * dim, 1)).toBfloat16();
        Tensor[] rows = run(VECTOR, (kk, o) -> kk.embeddingForward(ids, table, o[0], dim),
                new float[][] {new float[ids.length * dim]});
        Tensor[] scalarRows = run(SCALAR, (kk, o) -> kk.embeddingForward(ids, table, o[0], dim),
                new float[][] {new float[ids.length * dim]});
        for (int i = 0; i < ids.length * dim; i++) {
            float expected = table.get(ids[i / dim] * dim + i % dim);
            assertEquals(expected, rows[0].data()[i], 0f, "vector embedding of bf16 at " + i);
            assertEquals(expected, scalarRows[0].data()[i], 0f, "scalar embedding of bf16 at " + i);
        }
    }

    @Test
    void biasAndElementwise() {
        int[][] shapes = {{1, 1}, {3, 17}, {7, 100}, {300, 257}};
        for (int[] s : shapes) {
            int rows = s[0];
            int n = s[1];
            Tensor bias = t(gaussian(n, 1));
            Tensor dy = t(gaussian(rows * n, 1));
            compare("addBias " + rows + "x" + n, (k, o) -> k.addBias(o[0], bias, rows, n), false,
                    gaussian(rows * n, 1));
            compare("biasBackward " + rows + "x" + n, (k, o) -> k.biasBackward(dy, o[0], rows, n), true,
                    gaussian(n, 1));
        }
        for (int n : LENGTHS) {
            Tensor a = t(gaussian(n, 1));
            Tensor b = t(gaussian(n, 1));
            compare("addInPlace " + n, (k, o) -> k.addInPlace(o[0], a, n), false, gaussian(n, 1));
            compare("add " + n, (k, o) -> k.add(a, b, o[0], n), false, gaussian(n, 1));
            compare("scale " + n, (k, o) -> k.scale(o[0], -0.37f, n), false, gaussian(n, 1));
            double expected = SCALAR.sumOfSquares(a, n);
            assertEquals(expected, VECTOR.sumOfSquares(a, n), 1e-6 * expected, "sumOfSquares " + n);
        }
    }

    @Test
    void copyColumnsBetweenRowWidths() {
        int[][] shapes = {{1, 3, 1, 1}, {5, 40, 17, 3}, {64, 192, 64, 128}};
        for (int[] s : shapes) {
            int rows = s[0];
            int srcWidth = s[1];
            int cols = s[2];
            int srcCol = s[3] % (srcWidth - cols + 1);
            int dstWidth = cols + 5;
            Tensor src = t(gaussian(rows * srcWidth, 1));
            for (boolean accumulate : new boolean[] {false, true}) {
                compare("copyColumns " + rows + "x" + srcWidth + " accumulate=" + accumulate,
                        (k, o) -> k.copyColumns(src, srcWidth, srcCol, o[0], dstWidth, 2, rows, cols, accumulate),
                        accumulate, gaussian(rows * dstWidth, 1));
            }
        }
    }

    @Test
    void embeddingWithRepeatedIds() {
        for (int dim : new int[] {1, 17, 100}) {
            int vocab = 7;
            int[] ids = new int[50];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = random.nextInt(vocab);
            }
            Tensor table = t(gaussian(vocab * dim, 1));
            Tensor dout = t(gaussian(ids.length * dim, 1));
            compare("embeddingForward dim=" + dim, (k, o) -> k.embeddingForward(ids, table, o[0], dim), false,
                    gaussian(ids.length * dim, 1));
            compare("embeddingBackward dim=" + dim, (k, o) -> k.embeddingBackward(ids, dout, o[0], dim), true,
                    gaussian(vocab * dim, 1));
        }
    }

    @Test
    void layerNormAndRmsNorm() {
        int[][] shapes = {{1, 1}, {4, 17}, {3, 100}, {40, 1031}};
        for (int[] s : shapes) {
            int rows = s[0];
            int dim = s[1];
            String shape = rows + "x" + dim;
            float[] xData = gaussian(rows * dim, 2);
            for (int i = 0; i < xData.length; i++) {
                xData[i] += 1.5f;
            }
            Tensor x = t(xData);
            Tensor w = t(gaussian(dim, 1));
            Tensor b = t(gaussian(dim, 1));
            Tensor dout = t(gaussian(rows * dim, 1));
            for (boolean withBias : new boolean[] {true, false}) {
                Tensor bias = withBias ? b : null;
                compare("layerNormForward " + shape + " bias=" + withBias,
                        (k, o) -> k.layerNormForward(x, w, bias, o[0], o[1], o[2], rows, dim, 1e-5f), false,
                        gaussian(rows * dim, 1), gaussian(rows, 1), gaussian(rows, 1));
            }
            Tensor mean = Tensor.zeros(rows);
            Tensor rstd = Tensor.zeros(rows);
            SCALAR.layerNormForward(x, w, b, Tensor.zeros(rows * dim), mean, rstd, rows, dim, 1e-5f);
            compare("layerNormBackward " + shape,
                    (k, o) -> k.layerNormBackward(dout, x, w, mean, rstd, o[0], o[1], o[2], rows, dim), true,
                    gaussian(rows * dim, 1), gaussian(dim, 1), gaussian(dim, 1));
            compare("layerNormBackward without bias " + shape,
                    (k, o) -> k.layerNormBackward(dout, x, w, mean, rstd, o[0], o[1], null, rows, dim), true,
                    gaussian(rows * dim, 1), gaussian(dim, 1));

            compare("rmsNormForward " + shape, (k, o) -> k.rmsNormForward(x, w, o[0], o[1], rows, dim, 1e-6f), false,
                    gaussian(rows * dim, 1), gaussian(rows, 1));
            SCALAR.rmsNormForward(x, w, Tensor.zeros(rows * dim), rstd, rows, dim, 1e-6f);
            compare("rmsNormBackward " + shape,
                    (k, o) -> k.rmsNormBackward(dout, x, w, rstd, o[0], o[1], rows, dim), true,
                    gaussian(rows * dim, 1), gaussian(dim, 1));
        }
    }

    @Test
    void activationsIncludingSaturatedInputs() {
        for (int n : LENGTHS) {
            float[] xData = gaussian(n, 3);
            float[] extremes = {0f, -0f, 30f, -30f, 100f, -100f, 1e-20f, -7.5f};
            System.arraycopy(extremes, 0, xData, 0, Math.min(n, extremes.length));
            Tensor x = t(xData);
            Tensor up = t(gaussian(n, 1));
            Tensor dout = t(gaussian(n, 1));
            compare("geluForward " + n, (k, o) -> k.geluForward(x, o[0], n), false, gaussian(n, 1));
            compare("geluBackward " + n, (k, o) -> k.geluBackward(dout, x, o[0], n), true, gaussian(n, 1));
            compare("siluForward " + n, (k, o) -> k.siluForward(x, o[0], n), false, gaussian(n, 1));
            compare("siluBackward " + n, (k, o) -> k.siluBackward(dout, x, o[0], n), true, gaussian(n, 1));
            compare("swigluForward " + n, (k, o) -> k.swigluForward(x, up, o[0], n), false, gaussian(n, 1));
            compare("swigluBackward " + n, (k, o) -> k.swigluBackward(dout, x, up, o[0], o[1], n), true,
                    gaussian(n, 1), gaussian(n, 1));
        }
    }

    @Test
    void rope() {
        int[][] shapes = {{3, 2, 2}, {5, 3, 38}, {4, 2, 64}};
        int maxPositions = 64;
        for (int[] s : shapes) {
            int rows = s[0];
            int nHeads = s[1];
            int headDim = s[2];
            float[][] tables = RopeTables.of(maxPositions, headDim, 10000);
            int[] positions = new int[rows];
            for (int r = 0; r < rows; r++) {
                positions[r] = random.nextInt(maxPositions);
            }
            float[] x = gaussian(rows * nHeads * headDim, 1);
            String shape = rows + "x" + nHeads + "x" + headDim;
            compare("ropeForward " + shape, (k, o) -> k.ropeForward(o[0], positions, t(tables[0]), t(tables[1]), rows,
                    nHeads, headDim), false, x);
            compare("ropeBackward " + shape, (k, o) -> k.ropeBackward(o[0], positions, t(tables[0]), t(tables[1]),
                    rows, nHeads, headDim), false, x);
        }
    }

    @Test
    void attention() {
        // batch, tq, tk, nHeads, nKvHeads, headDim, mask kind (0 none, 1 random padding, 2 leading padding)
        int[][] configs = {
            {1, 1, 1, 1, 1, 1, 0},
            {2, 5, 5, 4, 4, 16, 0},
            {2, 3, 7, 6, 2, 19, 1},
            {1, 9, 9, 4, 1, 64, 1},
            {3, 4, 6, 2, 1, 33, 2},
            {2, 40, 40, 4, 2, 16, 1},
        };
        for (int[] c : configs) {
            int batch = c[0];
            int tq = c[1];
            int tk = c[2];
            int nHeads = c[3];
            int nKv = c[4];
            int headDim = c[5];
            int[] mask = keyMask(c[6], batch, tk);
            float scale = (float) (1 / Math.sqrt(headDim));
            String what = String.format("B=%d tq=%d tk=%d heads=%d/%d hd=%d mask=%d", batch, tq, tk, nHeads, nKv,
                    headDim, c[6]);
            Tensor q = t(gaussian(batch * tq * nHeads * headDim, 1));
            Tensor k = t(gaussian(batch * tk * nKv * headDim, 1));
            Tensor v = t(gaussian(batch * tk * nKv * headDim, 1));
            Tensor dout = t(gaussian(batch * tq * nHeads * headDim, 1));
            compare("attentionForward " + what, (kk, o) -> kk.attentionForward(q, k, v, o[0], o[1], mask, batch, tq,
                    tk, nHeads, nKv, headDim, scale), false, gaussian(q.size(), 1), gaussian(batch * nHeads * tq, 1));
            Tensor out = Tensor.zeros(q.size());
            Tensor lse = Tensor.zeros(batch * nHeads * tq);
            SCALAR.attentionForward(q, k, v, out, lse, mask, batch, tq, tk, nHeads, nKv, headDim, scale);
            compare("attentionBackward " + what, (kk, o) -> kk.attentionBackward(dout, q, k, v, out, lse, mask, o[0],
                    o[1], o[2], batch, tq, tk, nHeads, nKv, headDim, scale), true,
                    gaussian(q.size(), 1), gaussian(k.size(), 1), gaussian(v.size(), 1));
        }
    }

    @Test
    void attentionOverACache() {
        // batch, tq, tk, capacity, nHeads, nKvHeads, headDim, mask kind (as in attention())
        int[][] configs = {
            {1, 1, 1, 1, 1, 1, 1, 0},
            {1, 1, 17, 40, 4, 4, 16, 0},
            {3, 1, 9, 12, 6, 2, 19, 2},
            {2, 5, 7, 20, 4, 1, 64, 1},
            {2, 33, 40, 41, 4, 2, 16, 1},
        };
        for (int[] c : configs) {
            int batch = c[0];
            int tq = c[1];
            int tk = c[2];
            int capacity = c[3];
            int nHeads = c[4];
            int nKv = c[5];
            int headDim = c[6];
            int[] mask = keyMask(c[7], batch, capacity);
            float scale = (float) (1 / Math.sqrt(headDim));
            String what = String.format("B=%d tq=%d tk=%d capacity=%d heads=%d/%d hd=%d mask=%d", batch, tq, tk,
                    capacity, nHeads, nKv, headDim, c[7]);
            Tensor q = t(gaussian(batch * tq * nHeads * headDim, 1));
            Tensor k = t(gaussian(batch * capacity * nKv * headDim, 1));
            Tensor v = t(gaussian(batch * capacity * nKv * headDim, 1));
            compare("attentionForwardCached " + what, (kk, o) -> kk.attentionForwardCached(q, k, v, o[0], mask,
                    batch, tq, tk, capacity, nHeads, nKv, headDim, scale), false, gaussian(q.size(), 1));
        }
    }

    /** null, random padding (about a quarter of the keys), or the first half of the keys of batch row 1 padded. */
    private int[] keyMask(int kind, int batch, int tk) {
        if (kind == 0) {
            return null;
        }
        int[] mask = new int[batch * tk];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = kind == 1 ? (random.nextInt(4) == 0 ? 0 : 1) : (i >= tk && i < tk + tk / 2 ? 0 : 1);
        }
        return mask;
    }

    @Test
    void logSoftmaxGatherWithOffsetsAndIgnoredTargets() {
        int[][] shapes = {{1, 1}, {3, 17}, {5, 1000}, {40, 1000}};
        for (int[] s : shapes) {
            int rows = s[0];
            int vocab = s[1];
            int logitsOff = 3;
            int targetsOff = 2;
            int outOff = 1;
            float[] logitsData = gaussian(logitsOff + rows * vocab, 3);
            for (int j = 0; j < vocab; j++) {
                logitsData[logitsOff + j] += 60f;
            }
            Tensor logits = t(logitsData);
            int[] targets = new int[targetsOff + rows];
            for (int r = 0; r < targets.length; r++) {
                targets[r] = r % 3 == 1 ? -100 : random.nextInt(vocab);
            }
            String shape = rows + "x" + vocab;
            compare("logSoftmaxGatherForward " + shape, (k, o) -> k.logSoftmaxGatherForward(logits, logitsOff,
                    targets, targetsOff, o[0], o[1], outOff, rows, vocab), false,
                    gaussian(outOff + rows, 1), gaussian(outOff + rows, 1));
            Tensor logp = Tensor.zeros(outOff + rows);
            Tensor lse = Tensor.zeros(outOff + rows);
            SCALAR.logSoftmaxGatherForward(logits, logitsOff, targets, targetsOff, logp, lse, outOff, rows, vocab);
            Tensor dlogp = t(gaussian(outOff + rows, 1));
            compare("logSoftmaxGatherBackward " + shape, (k, o) -> k.logSoftmaxGatherBackward(logits, logitsOff,
                    targets, targetsOff, lse, dlogp, outOff, o[0], rows, vocab), false, gaussian(rows * vocab, 1));
            compare("logitStatistics entropy " + shape, (k, o) -> k.logitStatistics(logits, logitsOff, lse, outOff,
                    rows, vocab, new int[outOff + rows], o[0]), false, gaussian(outOff + rows, 1));
            int[] scalarArgmax = new int[outOff + rows];
            int[] vectorArgmax = new int[outOff + rows];
            SCALAR.logitStatistics(logits, logitsOff, lse, outOff, rows, vocab, scalarArgmax, Tensor.zeros(outOff + rows));
            VECTOR.logitStatistics(logits, logitsOff, lse, outOff, rows, vocab, vectorArgmax, Tensor.zeros(outOff + rows));
            assertArrayEquals(scalarArgmax, vectorArgmax, "logitStatistics argmax " + shape);
        }
    }

    @Test
    void logitStatisticsOfKnownDistributions() {
        float[] logits = {0f, 0f, 0f, 0f, 1f, 3f, 3f, -2f};
        Tensor lse = Tensor.zeros(2);
        int[] targets = {0, 0};
        SCALAR.logSoftmaxGatherForward(t(logits), 0, targets, 0, Tensor.zeros(2), lse, 0, 2, 4);
        for (org.align4j.tensor.Kernels k : java.util.List.of(SCALAR, VECTOR)) {
            int[] argmax = new int[2];
            Tensor entropy = Tensor.zeros(2);
            k.logitStatistics(t(logits), 0, lse, 0, 2, 4, argmax, entropy);
            assertEquals(Math.log(4), entropy.get(0), 1e-6, k.name() + ": uniform over 4");
            assertEquals(0, argmax[0], k.name() + ": first index on ties");
            assertEquals(1, argmax[1], k.name() + ": first of the tied maxima");
            double z = Math.exp(1) + 2 * Math.exp(3) + Math.exp(-2);
            double h = 0;
            for (double x : new double[] {1, 3, 3, -2}) {
                double p = Math.exp(x) / z;
                h -= p * Math.log(p);
            }
            assertEquals(h, entropy.get(1), 1e-6, k.name());
        }
        // a diverged row (NaN among the logits) gets the scalar twin's argmax, not an out-of-bounds read
        float[] diverged = new float[40];
        diverged[3] = 2f;
        diverged[17] = Float.NaN;
        diverged[29] = 5f;
        int[] scalar = new int[1];
        int[] vector = new int[1];
        SCALAR.logitStatistics(t(diverged), 0, Tensor.zeros(1), 0, 1, 40, scalar, Tensor.zeros(1));
        VECTOR.logitStatistics(t(diverged), 0, Tensor.zeros(1), 0, 1, 40, vector, Tensor.zeros(1));
        assertArrayEquals(scalar, vector);
    }

    @Test
    void adamwIsBitIdenticalToTheScalarTwin() {
        for (int n : LENGTHS) {
            for (float beta1 : new float[] {0.9f, 0.3f}) {
                float[] param = gaussian(n, 1);
                float[] grad = gaussian(n, 0.1);
                float[] m = gaussian(n, 0.01);
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = (float) Math.abs(1e-4 * random.nextGaussian());
                }
                Call step = (k, o) -> k.adamwUpdate(o[0], t(grad), o[1], o[2], n, 1e-3f, beta1, 0.999f, 1e-8f, 0.1f,
                        1 - (float) Math.pow(beta1, 3), 1 - (float) Math.pow(0.999, 3));
                float[][] initial = {param, m, v};
                Tensor[] expected = run(SCALAR, step, initial);
                Tensor[] actual = run(VECTOR, step, initial);
                for (int i = 0; i < 3; i++) {
                    assertArrayEquals(expected[i].data(), actual[i].data(), "adamw n=" + n + " output " + i);
                }
            }
        }
    }

    /**
     * The same kernel run with the pool and run inside a pool task (where {@link Parallel#range} runs inline on one
     * thread) must give bit-identical results.
     */
    @Test
    void resultsDoNotDependOnTheThreadCount() {
        int n = 100_003;
        Tensor x = t(gaussian(n, 3));
        Tensor dout = t(gaussian(n, 1));
        assertThreadInvariant("geluForward", (k, o) -> k.geluForward(x, o[0], n), new float[n]);
        assertThreadInvariant("siluBackward", (k, o) -> k.siluBackward(dout, x, o[0], n), gaussian(n, 1));
        assertThreadInvariant("adamw", (k, o) -> k.adamwUpdate(o[0], dout, o[1], o[2], n, 1e-3f, 0.9f, 0.999f, 1e-8f,
                0.1f, 0.1f, 0.001f), gaussian(n, 1), new float[n], new float[n]);
        double sumOfSquares = VECTOR.sumOfSquares(x, n);
        double[] serial = new double[1];
        insidePoolTask(() -> serial[0] = VECTOR.sumOfSquares(x, n));
        assertEquals(sumOfSquares, serial[0], 0.0, "sumOfSquares");

        int rows = 70;
        int dim = 1000;
        Tensor w = t(gaussian(dim, 1));
        Tensor mean = Tensor.zeros(rows);
        Tensor rstd = Tensor.zeros(rows);
        Tensor rowsIn = t(gaussian(rows * dim, 1));
        Tensor rowsGrad = t(gaussian(rows * dim, 1));
        VECTOR.layerNormForward(rowsIn, w, null, Tensor.zeros(rows * dim), mean, rstd, rows, dim, 1e-5f);
        assertThreadInvariant("layerNormBackward", (k, o) -> k.layerNormBackward(rowsGrad, rowsIn, w, mean, rstd,
                o[0], o[1], o[2], rows, dim), new float[rows * dim], new float[dim], new float[dim]);
        assertThreadInvariant("biasBackward", (k, o) -> k.biasBackward(rowsGrad, o[0], rows, dim), new float[dim]);

        int[] ids = new int[rows * 4];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = random.nextInt(5);
        }
        Tensor embeddingGrad = t(gaussian(ids.length * 256, 1));
        assertThreadInvariant("embeddingBackward", (k, o) -> k.embeddingBackward(ids, embeddingGrad, o[0], 256),
                new float[5 * 256]);

        Tensor logits = t(gaussian(16 * 5000, 3));
        int[] targets = new int[16];
        assertThreadInvariant("logSoftmaxGatherForward", (k, o) -> k.logSoftmaxGatherForward(logits, 0, targets, 0,
                o[0], o[1], 0, 16, 5000), new float[16], new float[16]);

        int batch = 2;
        int t = 40;
        int nHeads = 4;
        int nKv = 2;
        int headDim = 16;
        Tensor q = t(gaussian(batch * t * nHeads * headDim, 1));
        Tensor k = t(gaussian(batch * t * nKv * headDim, 1));
        Tensor v = t(gaussian(batch * t * nKv * headDim, 1));
        Tensor out = Tensor.zeros(q.size());
        Tensor lse = Tensor.zeros(batch * nHeads * t);
        assertThreadInvariant("attentionForward", (kk, o) -> kk.attentionForward(q, k, v, o[0], o[1], null, batch, t,
                t, nHeads, nKv, headDim, 0.25f), new float[q.size()], new float[lse.size()]);
        assertThreadInvariant("attentionForwardCached", (kk, o) -> kk.attentionForwardCached(q, k, v, o[0], null,
                batch, t / 2, t / 2 + 1, t, nHeads, nKv, headDim, 0.25f), new float[q.size() / 2]);
        VECTOR.attentionForward(q, k, v, out, lse, null, batch, t, t, nHeads, nKv, headDim, 0.25f);
        assertThreadInvariant("attentionBackward", (kk, o) -> kk.attentionBackward(q, q, k, v, out, lse, null, o[0],
                o[1], o[2], batch, t, t, nHeads, nKv, headDim, 0.25f), new float[q.size()], new float[k.size()],
                new float[v.size()]);
    }

    private static void assertThreadInvariant(String what, Call call, float[]... initial) {
        Tensor[] parallel = run(VECTOR, call, initial);
        Tensor[][] serial = new Tensor[1][];
        insidePoolTask(() -> serial[0] = run(VECTOR, call, initial));
        for (int i = 0; i < initial.length; i++) {
            assertArrayEquals(serial[0][i].data(), parallel[i].data(), what + " output " + i);
        }
    }

    /** Runs body inside a task of the engine's pool, where nested {@link Parallel#range} calls run inline. */
    private static void insidePoolTask(Runnable body) {
        Parallel.range(2, 1, (from, to) -> {
            if (from == 0) {
                body.run();
            }
        });
    }
}
