package org.align4j.tensor.cpu;

import org.align4j.autograd.GradientChecker;
import org.align4j.tensor.Kernels;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/** Every backward kernel against finite differences of its forward kernel, on both CPU backends. */
class KernelGradientTest {
    /** The kernels agree with finite differences to ~5e-5; 1e-3 leaves a wide margin yet catches small slips. */
    private static final GradientChecker CHECKER = new GradientChecker().withTolerance(1e-3);

    static Stream<Kernels> backends() {
        return Stream.of(new ScalarKernels(), new VectorKernels());
    }

    private static Tensor t(float[] a) {
        return Tensor.of(a, a.length);
    }

    private static float[] gaussian(Random random, int n, double scale, double shift) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (shift + scale * random.nextGaussian());
        }
        return a;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void layerNorm(Kernels k) {
        int rows = 3;
        int dim = 37;
        Random random = new Random(1);
        float[] x = gaussian(random, rows * dim, 2, 0.5);
        float[] w = gaussian(random, dim, 0.3, 1);
        float[] b = gaussian(random, dim, 0.3, 0);
        for (boolean withBias : new boolean[] {true, false}) {
            float[] mean = new float[rows];
            float[] rstd = new float[rows];
            GradientChecker.Function forward = in -> {
                float[] out = new float[rows * dim];
                k.layerNormForward(t(in.get(0)), t(in.get(1)), withBias ? t(in.get(2)) : null, t(out), t(mean),
                        t(rstd), rows, dim, 1e-5f);
                return out;
            };
            GradientChecker.Gradients backward = (in, dout) -> {
                forward.apply(in);
                float[] dx = new float[rows * dim];
                float[] dw = new float[dim];
                float[] db = new float[dim];
                k.layerNormBackward(t(dout), t(in.get(0)), t(in.get(1)), t(mean), t(rstd), t(dx), t(dw),
                        withBias ? t(db) : null, rows, dim);
                return Arrays.asList(dx, dw, withBias ? db : null);
            };
            CHECKER.check(k.name() + " layerNorm bias=" + withBias, forward, backward, List.of(x, w, b));
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void rmsNorm(Kernels k) {
        int rows = 3;
        int dim = 37;
        Random random = new Random(2);
        float[] x = gaussian(random, rows * dim, 2, 0.5);
        float[] w = gaussian(random, dim, 0.3, 1);
        float[] rstd = new float[rows];
        GradientChecker.Function forward = in -> {
            float[] out = new float[rows * dim];
            k.rmsNormForward(t(in.get(0)), t(in.get(1)), t(out), t(rstd), rows, dim, 1e-6f);
            return out;
        };
        GradientChecker.Gradients backward = (in, dout) -> {
            forward.apply(in);
            float[] dx = new float[rows * dim];
            float[] dw = new float[dim];
            k.rmsNormBackward(t(dout), t(in.get(0)), t(in.get(1)), t(rstd), t(dx), t(dw), rows, dim);
            return List.of(dx, dw);
        };
        CHECKER.check(k.name() + " rmsNorm", forward, backward, List.of(x, w));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void geluAndSilu(Kernels k) {
        int n = 53;
        float[] x = gaussian(new Random(3), n, 2, 0);
        CHECKER.check(k.name() + " gelu", in -> {
            float[] out = new float[n];
            k.geluForward(t(in.get(0)), t(out), n);
            return out;
        }, (in, dout) -> {
            float[] dx = new float[n];
            k.geluBackward(t(dout), t(in.get(0)), t(dx), n);
            return List.of(dx);
        }, List.of(x));
        CHECKER.check(k.name() + " silu", in -> {
            float[] out = new float[n];
            k.siluForward(t(in.get(0)), t(out), n);
            return out;
        }, (in, dout) -> {
            float[] dx = new float[n];
            k.siluBackward(t(dout), t(in.get(0)), t(dx), n);
            return List.of(dx);
        }, List.of(x));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void swiglu(Kernels k) {
        int n = 53;
        Random random = new Random(4);
        float[] gate = gaussian(random, n, 2, 0);
        float[] up = gaussian(random, n, 1, 0);
        CHECKER.check(k.name() + " swiglu", in -> {
            float[] out = new float[n];
            k.swigluForward(t(in.get(0)), t(in.get(1)), t(out), n);
            return out;
        }, (in, dout) -> {
            float[] dgate = new float[n];
            float[] dup = new float[n];
            k.swigluBackward(t(dout), t(in.get(0)), t(in.get(1)), t(dgate), t(dup), n);
            return List.of(dgate, dup);
        }, List.of(gate, up));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void rope(Kernels k) {
        int rows = 3;
        int nHeads = 2;
        int headDim = 38;
        int maxPositions = 8;
        int[] positions = {0, 7, 3};
        float[][] tables = RopeTables.of(maxPositions, headDim, 10000);
        float[] x = gaussian(new Random(5), rows * nHeads * headDim, 1, 0);
        CHECKER.check(k.name() + " rope", in -> {
            float[] out = in.get(0).clone();
            k.ropeForward(t(out), positions, t(tables[0]), t(tables[1]), rows, nHeads, headDim);
            return out;
        }, (in, dout) -> {
            float[] dx = dout.clone();
            k.ropeBackward(t(dx), positions, t(tables[0]), t(tables[1]), rows, nHeads, headDim);
            return List.of(dx);
        }, List.of(x));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void attentionMultiHead(Kernels k) {
        checkAttention(k, "MHA", 1, 4, 4, 2, 2, 5, null);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void attentionGroupedWithPaddingAndShorterQueries(Kernels k) {
        checkAttention(k, "GQA", 2, 3, 6, 4, 2, 17, new int[] {1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0});
    }

    @ParameterizedTest
    @MethodSource("backends")
    void attentionMultiQueryWithAQueryThatSeesNoKey(Kernels k) {
        // Batch 1: keys 0..2 are padding, so query 0 (position 2) sees nothing and must get zero gradients.
        checkAttention(k, "MQA", 2, 3, 5, 3, 1, 4, new int[] {1, 1, 1, 1, 1, 0, 0, 0, 1, 1});
    }

    private static void checkAttention(Kernels k, String what, int batch, int tq, int tk, int nHeads, int nKvHeads,
                                       int headDim, int[] keyMask) {
        Random random = new Random(6);
        float scale = (float) (1 / Math.sqrt(headDim));
        float[] q = gaussian(random, batch * tq * nHeads * headDim, 1, 0);
        float[] kk = gaussian(random, batch * tk * nKvHeads * headDim, 1, 0);
        float[] v = gaussian(random, batch * tk * nKvHeads * headDim, 1, 0);
        float[] lse = new float[batch * nHeads * tq];
        GradientChecker.Function forward = in -> {
            float[] out = new float[q.length];
            k.attentionForward(t(in.get(0)), t(in.get(1)), t(in.get(2)), t(out), t(lse), keyMask, batch, tq, tk,
                    nHeads, nKvHeads, headDim, scale);
            return out;
        };
        GradientChecker.Gradients backward = (in, dout) -> {
            float[] out = forward.apply(in);
            float[] dq = new float[q.length];
            float[] dk = new float[kk.length];
            float[] dv = new float[v.length];
            k.attentionBackward(t(dout), t(in.get(0)), t(in.get(1)), t(in.get(2)), t(out), t(lse), keyMask, t(dq),
                    t(dk), t(dv), batch, tq, tk, nHeads, nKvHeads, headDim, scale);
            return List.of(dq, dk, dv);
        };
        CHECKER.check(k.name() + " attention " + what, forward, backward, List.of(q, kk, v));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void logSoftmaxGather(Kernels k) {
        int rows = 4;
        int vocab = 37;
        int logitsOff = vocab;
        int[] targets = {99, 5, -1, 36, 0};
        int targetsOff = 1;
        int outOff = 2;
        float[] logits = gaussian(new Random(8), logitsOff + rows * vocab, 2, 0);
        float[] lse = new float[outOff + rows + 1];
        GradientChecker.Function forward = in -> {
            float[] logp = new float[outOff + rows + 1];
            k.logSoftmaxGatherForward(t(in.get(0)), logitsOff, targets, targetsOff, t(logp), t(lse), outOff, rows,
                    vocab);
            return logp;
        };
        GradientChecker.Gradients backward = (in, dout) -> {
            forward.apply(in);
            float[] dlogits = new float[rows * vocab];
            k.logSoftmaxGatherBackward(t(in.get(0)), logitsOff, targets, targetsOff, t(lse), t(dout), outOff,
                    t(dlogits), rows, vocab);
            float[] grad = new float[logits.length];
            System.arraycopy(dlogits, 0, grad, logitsOff, dlogits.length);
            return List.of(grad);
        };
        CHECKER.check(k.name() + " logSoftmaxGather", forward, backward, List.of(logits));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void embedding(Kernels k) {
        int vocab = 5;
        int dim = 19;
        int[] ids = {3, 1, 3, 0, 3, 4};
        float[] table = gaussian(new Random(9), vocab * dim, 1, 0);
        CHECKER.check(k.name() + " embedding", in -> {
            float[] out = new float[ids.length * dim];
            k.embeddingForward(ids, t(in.get(0)), t(out), dim);
            return out;
        }, (in, dout) -> {
            float[] dtable = new float[vocab * dim];
            k.embeddingBackward(ids, t(dout), t(dtable), dim);
            return List.of(dtable);
        }, List.of(table));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void bias(Kernels k) {
        int rows = 3;
        int n = 19;
        Random random = new Random(10);
        float[] y = gaussian(random, rows * n, 1, 0);
        float[] bias = gaussian(random, n, 1, 0);
        CHECKER.check(k.name() + " addBias", in -> {
            float[] out = in.get(0).clone();
            k.addBias(t(out), t(in.get(1)), rows, n);
            return out;
        }, (in, dout) -> {
            float[] dbias = new float[n];
            k.biasBackward(t(dout), t(dbias), rows, n);
            return List.of(dout.clone(), dbias);
        }, List.of(y, bias));
    }

    /**
     * The three matmul layouts are each other's gradients: for C = A B, dA = dC Bᵀ (NT) and dB = Aᵀ dC (TN); for
     * C = A Bᵀ, dA = dC B (NN) and dB = dCᵀ A (TN); for C = Aᵀ B, dA = B dCᵀ (NT) and dB = A dC (NN).
     */
    @ParameterizedTest
    @MethodSource("backends")
    void matmulLayouts(Kernels k) {
        int m = 3;
        int n = 5;
        int kk = 4;
        Random random = new Random(11);
        float[] a = gaussian(random, m * kk, 1, 0);
        float[] b = gaussian(random, kk * n, 1, 0);
        CHECKER.check(k.name() + " matmulNN", in -> {
            float[] c = new float[m * n];
            k.matmulNN(t(in.get(0)), 0, t(in.get(1)), 0, t(c), 0, m, n, kk, false);
            return c;
        }, (in, dc) -> {
            float[] da = new float[m * kk];
            float[] db = new float[kk * n];
            k.matmulNT(t(dc), 0, t(in.get(1)), 0, t(da), 0, m, kk, n, true);
            k.matmulTN(t(in.get(0)), 0, t(dc), 0, t(db), 0, kk, n, m, true);
            return List.of(da, db);
        }, List.of(a, b));
        CHECKER.check(k.name() + " matmulNT", in -> {
            float[] c = new float[m * n];
            k.matmulNT(t(in.get(0)), 0, t(in.get(1)), 0, t(c), 0, m, n, kk, false);
            return c;
        }, (in, dc) -> {
            float[] da = new float[m * kk];
            float[] db = new float[n * kk];
            k.matmulNN(t(dc), 0, t(in.get(1)), 0, t(da), 0, m, kk, n, true);
            k.matmulTN(t(dc), 0, t(in.get(0)), 0, t(db), 0, n, kk, m, true);
            return List.of(da, db);
        }, List.of(a, gaussian(random, n * kk, 1, 0)));
        CHECKER.check(k.name() + " matmulTN", in -> {
            float[] c = new float[m * n];
            k.matmulTN(t(in.get(0)), 0, t(in.get(1)), 0, t(c), 0, m, n, kk, false);
            return c;
        }, (in, dc) -> {
            float[] da = new float[kk * m];
            float[] db = new float[kk * n];
            k.matmulNT(t(in.get(1)), 0, t(dc), 0, t(da), 0, kk, m, n, true);
            k.matmulNN(t(in.get(0)), 0, t(dc), 0, t(db), 0, kk, n, m, true);
            return List.of(da, db);
        }, List.of(gaussian(random, kk * m, 1, 0), b));
    }
}
