package org.align4j.tensor.cpu;

import org.align4j.tensor.Kernels;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.stream.Stream;

import static org.align4j.tensor.cpu.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Kernel outputs against values worked out by hand or with the defining formula in double precision. */
class KernelReferenceTest {

    static Stream<Kernels> backends() {
        return Stream.of(new ScalarKernels(), new VectorKernels());
    }

    private static Tensor t(float... a) {
        return Tensor.of(a, a.length);
    }

    /** HF gelu_new, literally: 0.5 x (1 + tanh(sqrt(2/π) (x + 0.044715 x³))). */
    private static double geluNew(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void geluNewAndItsDerivative(Kernels k) {
        float[] x = {-4f, -3f, -1f, -0.5f, -1e-3f, 0f, 0.25f, 1f, 2.5f, 6f};
        float[] expected = new float[x.length];
        float[] expectedDerivative = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            double tanh = Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v));
            expected[i] = (float) geluNew(v);
            expectedDerivative[i] = (float) (0.5 * (1 + tanh)
                    + 0.5 * v * (1 - tanh * tanh) * Math.sqrt(2 / Math.PI) * (1 + 3 * 0.044715 * v * v));
        }
        float[] out = new float[x.length];
        k.geluForward(t(x), t(out), x.length);
        assertClose("gelu", expected, out, 1e-6);
        float[] dx = new float[x.length];
        k.geluBackward(t(ones(x.length)), t(x), t(dx), x.length);
        assertClose("gelu'", expectedDerivative, dx, 1e-6);
        assertEquals(0.8411920f, out[7], 1e-6f, "gelu_new(1)");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void siluAndSwiglu(Kernels k) {
        float[] x = {-20f, -2f, -0.5f, 0f, 0.5f, 3f, 20f};
        float[] up = {1f, 2f, -1f, 3f, 0.5f, -2f, 1f};
        float[] silu = new float[x.length];
        float[] swiglu = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            silu[i] = (float) (x[i] / (1 + Math.exp(-x[i])));
            swiglu[i] = silu[i] * up[i];
        }
        float[] out = new float[x.length];
        k.siluForward(t(x), t(out), x.length);
        assertClose("silu", silu, out, 1e-6);
        k.swigluForward(t(x), t(up), t(out), x.length);
        assertClose("swiglu", swiglu, out, 1e-6);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void ropeRotatesEachPairByItsAngle(Kernels k) {
        int headDim = 4;
        float[][] tables = RopeTables.of(8, headDim, 10000);
        int[] position = {3};
        // Pair 0 turns by 3 radians, pair 1 by 3 / sqrt(10000) = 0.03 radians.
        float[] x = {1f, 0f, 0f, 0f, 0f, 1f, 0f, 0f};
        k.ropeForward(t(x), position, t(tables[0]), t(tables[1]), 1, 2, headDim);
        float c = (float) Math.cos(3);
        float s = (float) Math.sin(3);
        float c1 = (float) Math.cos(0.03);
        float s1 = (float) Math.sin(0.03);
        assertClose("rope", new float[] {c, 0f, s, 0f, 0f, c1, 0f, s1}, x, 1e-6);
        k.ropeBackward(t(x), position, t(tables[0]), t(tables[1]), 1, 2, headDim);
        assertClose("rope backward undoes forward", new float[] {1f, 0f, 0f, 0f, 0f, 1f, 0f, 0f}, x, 1e-6);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void norms(Kernels k) {
        float[] x = {1f, 2f, 3f, 4f};
        float[] out = new float[4];
        float[] mean = new float[1];
        float[] rstd = new float[1];
        k.layerNormForward(t(x), t(2f, 2f, 2f, 2f), t(0.5f, 0.5f, 0.5f, 0.5f), t(out), t(mean), t(rstd), 1, 4, 1e-5f);
        double r = 1 / Math.sqrt(1.25 + 1e-5);
        assertClose("layerNorm", new float[] {(float) (-3 * r + 0.5), (float) (-r + 0.5), (float) (r + 0.5),
            (float) (3 * r + 0.5)}, out, 1e-6);
        assertEquals(2.5f, mean[0], 1e-6f);
        assertEquals((float) r, rstd[0], 1e-6f);
        k.rmsNormForward(t(x), t(1f, 1f, 1f, -1f), t(out), t(rstd), 1, 4, 1e-6f);
        double rms = 1 / Math.sqrt(7.5 + 1e-6);
        assertClose("rmsNorm", new float[] {(float) rms, (float) (2 * rms), (float) (3 * rms), (float) (-4 * rms)},
                out, 1e-6);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void attentionOfTwoKeys(Kernels k) {
        Tensor q = t(0.5f, 0.5f, 1f, 0f);
        Tensor keys = t(1f, 0f, 0f, 1f);
        Tensor v = t(1f, 2f, 3f, 4f);
        float[] out = new float[4];
        float[] lse = new float[2];
        k.attentionForward(q, keys, v, t(out), t(lse), null, 1, 2, 2, 1, 1, 2, 1f);
        // Query 0 sees key 0 only; query 1 scores (1, 0) against keys 0 and 1.
        double p0 = Math.E / (Math.E + 1);
        double p1 = 1 / (Math.E + 1);
        assertClose("attention out", new float[] {1f, 2f, (float) (p0 + 3 * p1), (float) (2 * p0 + 4 * p1)}, out,
                1e-6);
        assertClose("attention lse", new float[] {0.5f, (float) Math.log(Math.E + 1)}, lse, 1e-6);

        float[] lastQuery = new float[2];
        float[] lastLse = new float[1];
        k.attentionForward(t(1f, 0f), keys, v, t(lastQuery), t(lastLse), null, 1, 1, 2, 1, 1, 2, 1f);
        assertClose("a single query sits at the last position", new float[] {out[2], out[3]}, lastQuery, 1e-6);

        k.attentionForward(q, keys, v, t(out), t(lse), new int[] {0, 1}, 1, 2, 2, 1, 1, 2, 1f);
        assertArrayEquals(new float[] {0f, 0f, 3f, 4f}, out, "query 0 sees only padding");
        assertArrayEquals(new float[] {Float.NEGATIVE_INFINITY, 0f}, lse);
    }

    /**
     * Attention over a cache whose capacity exceeds the keys in use equals attention over just those keys, bit for
     * bit: the rows past tk (filled with garbage here) are never read.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void attentionOverACacheReadsOnlyTheKeysInUse(Kernels k) {
        int batch = 2;
        int tq = 2;
        int tk = 5;
        int capacity = 8;
        int nHeads = 4;
        int nKv = 2;
        int headDim = 6;
        int width = nKv * headDim;
        java.util.Random random = new java.util.Random(11);
        float[] q = new float[batch * tq * nHeads * headDim];
        float[] kCache = new float[batch * capacity * width];
        float[] vCache = new float[batch * capacity * width];
        for (float[] a : new float[][] {q, kCache, vCache}) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) random.nextGaussian();
            }
        }
        int[] maskCache = new int[batch * capacity];
        Arrays.fill(maskCache, 1);
        maskCache[capacity] = 0;
        maskCache[capacity + 1] = 0;
        maskCache[capacity + tk] = 0;
        float[] keys = new float[batch * tk * width];
        float[] values = new float[batch * tk * width];
        int[] mask = new int[batch * tk];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(kCache, b * capacity * width, keys, b * tk * width, tk * width);
            System.arraycopy(vCache, b * capacity * width, values, b * tk * width, tk * width);
            System.arraycopy(maskCache, b * capacity, mask, b * tk, tk);
        }
        float scale = (float) (1 / Math.sqrt(headDim));
        float[] expected = new float[q.length];
        k.attentionForward(t(q), t(keys), t(values), t(expected), Tensor.zeros(batch * nHeads * tq), mask, batch, tq,
                tk, nHeads, nKv, headDim, scale);
        float[] actual = new float[q.length];
        k.attentionForwardCached(t(q), t(kCache), t(vCache), t(actual), maskCache, batch, tq, tk, capacity, nHeads,
                nKv, headDim, scale);
        assertArrayEquals(expected, actual);
        assertThrows(IllegalArgumentException.class, () -> k.attentionForwardCached(t(q), t(kCache), t(vCache),
                t(actual), null, batch, tq, capacity + 1, capacity, nHeads, nKv, headDim, scale));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void logSoftmaxGather(Kernels k) {
        Tensor logits = t(0f, (float) Math.log(2), (float) Math.log(3), 5f, 6f, 7f);
        float[] logp = new float[2];
        float[] lse = new float[2];
        int[] targets = {2, -100};
        k.logSoftmaxGatherForward(logits, 0, targets, 0, t(logp), t(lse), 0, 2, 3);
        assertClose("logp", new float[] {(float) -Math.log(2), 0f}, logp, 1e-6);
        assertEquals((float) Math.log(6), lse[0], 1e-6f);
        float[] dlogits = {9f, 9f, 9f, 9f, 9f, 9f};
        k.logSoftmaxGatherBackward(logits, 0, targets, 0, t(lse), t(1f, 1f), 0, t(dlogits), 2, 3);
        assertClose("dlogits", new float[] {-1f / 6, -2f / 6, 0.5f, 0f, 0f, 0f}, dlogits, 1e-6);
    }

    /**
     * At step 1, m = (1 − β1) g and v = (1 − β2) g², so m / bc1 = g and sqrt(v / bc2) = |g|:
     * p ← p (1 − lr wd) − lr g / (|g| + eps).
     */
    @ParameterizedTest
    @MethodSource("backends")
    void adamwFirstStep(Kernels k) {
        float[] p = {1f, -2f, 0.5f};
        float[] g = {0.5f, 0.25f, -4f};
        float[] m = new float[3];
        float[] v = new float[3];
        float lr = 0.1f;
        float wd = 0.01f;
        float eps = 1e-8f;
        float[] expected = new float[3];
        for (int i = 0; i < 3; i++) {
            expected[i] = (float) (p[i] * (1 - (double) lr * wd) - lr * g[i] / (Math.abs(g[i]) + eps));
        }
        k.adamwUpdate(t(p), t(g), t(m), t(v), 3, lr, 0.9f, 0.999f, eps, wd, 1 - 0.9f, 1 - 0.999f);
        assertClose("param", expected, p, 1e-6);
        assertClose("m", new float[] {0.05f, 0.025f, -0.4f}, m, 1e-6);
        assertClose("v", new float[] {0.00025f, 0.0000625f, 0.016f}, v, 1e-5);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void matmulLayoutsAndAccumulation(Kernels k) {
        Tensor a = t(1f, 2f, 3f, 4f, 5f, 6f);
        Tensor aTransposed = t(1f, 4f, 2f, 5f, 3f, 6f);
        Tensor b = t(1f, 0f, 0f, 1f, 1f, 1f);
        Tensor bTransposed = t(1f, 0f, 1f, 0f, 1f, 1f);
        float[] expected = {4f, 5f, 10f, 11f};
        float[] c = {7f, 7f, 7f, 7f, 7f};
        k.matmulNN(a, 0, b, 0, t(c), 1, 2, 2, 3, false);
        assertArrayEquals(new float[] {7f, 4f, 5f, 10f, 11f}, c, "NN");
        float[] d = new float[4];
        k.matmulNT(a, 0, bTransposed, 0, t(d), 0, 2, 2, 3, false);
        assertArrayEquals(expected, d, "NT");
        k.matmulTN(aTransposed, 0, b, 0, t(d), 0, 2, 2, 3, true);
        assertArrayEquals(new float[] {8f, 10f, 20f, 22f}, d, "TN accumulates");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void badIndicesFailWithAMessage(Kernels k) {
        Tensor table = Tensor.zeros(3 * 2);
        assertThrows(IndexOutOfBoundsException.class,
                () -> k.embeddingForward(new int[] {0, 3}, table, Tensor.zeros(4), 2));
        assertThrows(IndexOutOfBoundsException.class,
                () -> k.embeddingBackward(new int[] {-1}, Tensor.zeros(2), table, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> k.logSoftmaxGatherForward(Tensor.zeros(3), 0,
                new int[] {3}, 0, Tensor.zeros(1), Tensor.zeros(1), 0, 1, 3));
        float[][] tables = RopeTables.of(2, 2, 10000);
        assertThrows(IndexOutOfBoundsException.class, () -> k.ropeForward(Tensor.zeros(2), new int[] {2},
                t(tables[0]), t(tables[1]), 1, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> k.attentionForward(Tensor.zeros(3), Tensor.zeros(2),
                Tensor.zeros(2), Tensor.zeros(3), Tensor.zeros(3), null, 1, 1, 1, 3, 2, 1, 1f));
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        Arrays.fill(a, 1f);
        return a;
    }
}
