package org.align4j.tensor.cpu;

import org.align4j.tensor.Kernels;
import org.align4j.tensor.Tensor;

import java.util.Arrays;

/**
 * The plain scalar twin of {@link VectorKernels}: single-threaded, obviously correct loops for every kernel, used
 * as the reference that the fast backend is tested against (select it with {@code -Dalign4j.kernels=scalar}).
 *
 * <p>Storage is float32; reductions (means, variances, log-sum-exps, attention dot products and softmax sums) and
 * the transcendental functions run in double precision and round once at the end, which keeps the results close to
 * a float64 reference. The AdamW update is the exception: it repeats PyTorch's float32 operations one by one.
 */
public final class ScalarKernels implements Kernels {
    /** sqrt(2/π), the scale inside gelu_new's tanh. */
    static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    /** The cubic coefficient of gelu_new. */
    static final double GELU_CUBIC = 0.044715;

    @Override
    public String name() {
        return "cpu-scalar";
    }

    // ---- matrix multiply -------------------------------------------------------------------------------------

    @Override
    public void matmulNN(Tensor a, int aOff, Tensor b, int bOff, Tensor c, int cOff, int m, int n, int k,
                         boolean accumulate) {
        Gemm.nnScalar(a.data(), aOff, float32(b), bOff, c.data(), cOff, m, n, k, accumulate);
    }

    @Override
    public void matmulNT(Tensor a, int aOff, Tensor b, int bOff, Tensor c, int cOff, int m, int n, int k,
                         boolean accumulate) {
        Gemm.ntScalar(a.data(), aOff, float32(b), bOff, c.data(), cOff, m, n, k, accumulate);
    }

    /** The float32 values of a weight operand: its storage, or a widened copy of a bfloat16 one. */
    private static float[] float32(Tensor weight) {
        return weight.isBfloat16() ? weight.toFloat32().data() : weight.data();
    }

    @Override
    public void matmulTN(Tensor a, int aOff, Tensor b, int bOff, Tensor c, int cOff, int m, int n, int k,
                         boolean accumulate) {
        Gemm.tnScalar(a.data(), aOff, b.data(), bOff, c.data(), cOff, m, n, k, accumulate);
    }

    // ---- elementwise and reductions --------------------------------------------------------------------------

    @Override
    public void addBias(Tensor y, Tensor bias, int rows, int n) {
        float[] yd = y.data();
        float[] bd = bias.data();
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                yd[r * n + j] += bd[j];
            }
        }
    }

    @Override
    public void biasBackward(Tensor dy, Tensor dbias, int rows, int n) {
        float[] g = dy.data();
        float[] db = dbias.data();
        for (int j = 0; j < n; j++) {
            double sum = 0;
            for (int r = 0; r < rows; r++) {
                sum += g[r * n + j];
            }
            db[j] += (float) sum;
        }
    }

    @Override
    public void addInPlace(Tensor dst, Tensor src, int n) {
        float[] d = dst.data();
        float[] s = src.data();
        for (int i = 0; i < n; i++) {
            d[i] += s[i];
        }
    }

    @Override
    public void copyColumns(Tensor src, int srcWidth, int srcCol, Tensor dst, int dstWidth, int dstCol, int rows,
                            int cols, boolean accumulate) {
        float[] s = src.data();
        float[] d = dst.data();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int to = r * dstWidth + dstCol + c;
                float v = s[r * srcWidth + srcCol + c];
                d[to] = accumulate ? d[to] + v : v;
            }
        }
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out, int n) {
        float[] ad = a.data();
        float[] bd = b.data();
        float[] o = out.data();
        for (int i = 0; i < n; i++) {
            o[i] = ad[i] + bd[i];
        }
    }

    @Override
    public void scale(Tensor x, float s, int n) {
        float[] xd = x.data();
        for (int i = 0; i < n; i++) {
            xd[i] *= s;
        }
    }

    @Override
    public double sumOfSquares(Tensor x, int n) {
        float[] xd = x.data();
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += (double) xd[i] * xd[i];
        }
        return sum;
    }

    // ---- embedding -------------------------------------------------------------------------------------------

    @Override
    public void embeddingForward(int[] ids, Tensor table, Tensor out, int dim) {
        float[] o = out.data();
        for (int i = 0; i < ids.length; i++) {
            int id = KernelChecks.embeddingId(ids, i, table.size(), dim);
            for (int j = 0; j < dim; j++) {
                o[i * dim + j] = table.get(id * dim + j);
            }
        }
    }

    @Override
    public void embeddingBackward(int[] ids, Tensor dout, Tensor dtable, int dim) {
        float[] g = dout.data();
        float[] dt = dtable.data();
        for (int i = 0; i < ids.length; i++) {
            int id = KernelChecks.embeddingId(ids, i, dt.length, dim);
            for (int j = 0; j < dim; j++) {
                dt[id * dim + j] += g[i * dim + j];
            }
        }
    }

    // ---- normalisation ---------------------------------------------------------------------------------------

    @Override
    public void layerNormForward(Tensor x, Tensor w, Tensor b, Tensor out, Tensor mean, Tensor rstd, int rows,
                                 int dim, float eps) {
        float[] xd = x.data();
        float[] wd = w.data();
        float[] bd = b == null ? null : b.data();
        float[] o = out.data();
        for (int r = 0; r < rows; r++) {
            int row = r * dim;
            double sum = 0;
            for (int j = 0; j < dim; j++) {
                sum += xd[row + j];
            }
            double mu = sum / dim;
            double squares = 0;
            for (int j = 0; j < dim; j++) {
                double d = xd[row + j] - mu;
                squares += d * d;
            }
            double rs = 1.0 / Math.sqrt(squares / dim + eps);
            for (int j = 0; j < dim; j++) {
                double y = (xd[row + j] - mu) * rs * wd[j] + (bd == null ? 0 : bd[j]);
                o[row + j] = (float) y;
            }
            mean.data()[r] = (float) mu;
            rstd.data()[r] = (float) rs;
        }
    }

    @Override
    public void layerNormBackward(Tensor dout, Tensor x, Tensor w, Tensor mean, Tensor rstd, Tensor dx, Tensor dw,
                                  Tensor db, int rows, int dim) {
        float[] g = dout.data();
        float[] xd = x.data();
        float[] wd = w.data();
        double[] dwSum = new double[dim];
        double[] dbSum = new double[dim];
        for (int r = 0; r < rows; r++) {
            int row = r * dim;
            double mu = mean.data()[r];
            double rs = rstd.data()[r];
            // With xhat = (x - mean) * rstd and gxhat = dout * w:
            // dx = rstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)).
            double sumG = 0;
            double sumGX = 0;
            for (int j = 0; j < dim; j++) {
                double xhat = (xd[row + j] - mu) * rs;
                double gxhat = (double) g[row + j] * wd[j];
                sumG += gxhat;
                sumGX += gxhat * xhat;
                dwSum[j] += g[row + j] * xhat;
                dbSum[j] += g[row + j];
            }
            double meanG = sumG / dim;
            double meanGX = sumGX / dim;
            for (int j = 0; dx != null && j < dim; j++) {
                double xhat = (xd[row + j] - mu) * rs;
                double gxhat = (double) g[row + j] * wd[j];
                dx.data()[row + j] += (float) (rs * (gxhat - meanG - xhat * meanGX));
            }
        }
        for (int j = 0; j < dim; j++) {
            if (dw != null) {
                dw.data()[j] += (float) dwSum[j];
            }
            if (db != null) {
                db.data()[j] += (float) dbSum[j];
            }
        }
    }

    @Override
    public void rmsNormForward(Tensor x, Tensor w, Tensor out, Tensor rstd, int rows, int dim, float eps) {
        float[] xd = x.data();
        float[] wd = w.data();
        float[] o = out.data();
        for (int r = 0; r < rows; r++) {
            int row = r * dim;
            double squares = 0;
            for (int j = 0; j < dim; j++) {
                squares += (double) xd[row + j] * xd[row + j];
            }
            double rs = 1.0 / Math.sqrt(squares / dim + eps);
            for (int j = 0; j < dim; j++) {
                o[row + j] = (float) (xd[row + j] * rs * wd[j]);
            }
            rstd.data()[r] = (float) rs;
        }
    }

    @Override
    public void rmsNormBackward(Tensor dout, Tensor x, Tensor w, Tensor rstd, Tensor dx, Tensor dw, int rows,
                                int dim) {
        float[] g = dout.data();
        float[] xd = x.data();
        float[] wd = w.data();
        double[] dwSum = new double[dim];
        for (int r = 0; r < rows; r++) {
            int row = r * dim;
            double rs = rstd.data()[r];
            // With gx = dout * w: dx = rstd * (gx - x * rstd² * mean(gx * x)).
            double sumGX = 0;
            for (int j = 0; j < dim; j++) {
                sumGX += (double) g[row + j] * wd[j] * xd[row + j];
                dwSum[j] += (double) g[row + j] * xd[row + j] * rs;
            }
            double meanGX = sumGX / dim;
            for (int j = 0; dx != null && j < dim; j++) {
                double gx = (double) g[row + j] * wd[j];
                dx.data()[row + j] += (float) (rs * (gx - xd[row + j] * rs * rs * meanGX));
            }
        }
        for (int j = 0; dw != null && j < dim; j++) {
            dw.data()[j] += (float) dwSum[j];
        }
    }

    // ---- activations -----------------------------------------------------------------------------------------

    @Override
    public void geluForward(Tensor x, Tensor out, int n) {
        float[] xd = x.data();
        float[] o = out.data();
        for (int i = 0; i < n; i++) {
            double v = xd[i];
            o[i] = (float) (v * sigmoid(2 * geluInner(v)));
        }
    }

    @Override
    public void geluBackward(Tensor dout, Tensor x, Tensor dx, int n) {
        float[] g = dout.data();
        float[] xd = x.data();
        float[] dxd = dx.data();
        for (int i = 0; i < n; i++) {
            double v = xd[i];
            double s = sigmoid(2 * geluInner(v));
            // d/dx [x σ(2u)] = σ(2u) + x · 2σ(2u)(1 − σ(2u)) · u'(x), u' = sqrt(2/π) (1 + 3 · 0.044715 x²).
            double du = SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * v * v);
            dxd[i] += (float) (g[i] * (s + v * 2 * s * (1 - s) * du));
        }
    }

    /** u(x) = sqrt(2/π) (x + 0.044715 x³): gelu_new(x) = 0.5 x (1 + tanh(u)) = x σ(2u). */
    private static double geluInner(double x) {
        return SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x);
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    @Override
    public void siluForward(Tensor x, Tensor out, int n) {
        float[] xd = x.data();
        float[] o = out.data();
        for (int i = 0; i < n; i++) {
            o[i] = (float) (xd[i] * sigmoid(xd[i]));
        }
    }

    @Override
    public void siluBackward(Tensor dout, Tensor x, Tensor dx, int n) {
        float[] g = dout.data();
        float[] xd = x.data();
        float[] dxd = dx.data();
        for (int i = 0; i < n; i++) {
            dxd[i] += (float) (g[i] * siluDerivative(xd[i]));
        }
    }

    /** silu'(x) = σ(x) (1 + x (1 − σ(x))). */
    private static double siluDerivative(double x) {
        double s = sigmoid(x);
        return s * (1 + x * (1 - s));
    }

    @Override
    public void swigluForward(Tensor gate, Tensor up, Tensor out, int n) {
        float[] gd = gate.data();
        float[] ud = up.data();
        float[] o = out.data();
        for (int i = 0; i < n; i++) {
            o[i] = (float) (gd[i] * sigmoid(gd[i]) * ud[i]);
        }
    }

    @Override
    public void swigluBackward(Tensor dout, Tensor gate, Tensor up, Tensor dgate, Tensor dup, int n) {
        float[] g = dout.data();
        float[] gd = gate.data();
        float[] ud = up.data();
        for (int i = 0; i < n; i++) {
            double a = gd[i];
            if (dgate != null) {
                dgate.data()[i] += (float) ((double) g[i] * ud[i] * siluDerivative(a));
            }
            if (dup != null) {
                dup.data()[i] += (float) (g[i] * a * sigmoid(a));
            }
        }
    }

    // ---- rotary position embedding ---------------------------------------------------------------------------

    @Override
    public void ropeForward(Tensor x, int[] positions, Tensor cos, Tensor sin, int rows, int nHeads, int headDim) {
        rotate(x, positions, cos, sin, rows, nHeads, headDim, 1);
    }

    @Override
    public void ropeBackward(Tensor dx, int[] positions, Tensor cos, Tensor sin, int rows, int nHeads,
                             int headDim) {
        rotate(dx, positions, cos, sin, rows, nHeads, headDim, -1);
    }

    /** Rotates each (x[i], x[i + half]) pair by the table angle times {@code direction} (+1 or −1). */
    private static void rotate(Tensor x, int[] positions, Tensor cos, Tensor sin, int rows, int nHeads, int headDim,
                               int direction) {
        int half = headDim / 2;
        float[] xd = x.data();
        for (int r = 0; r < rows; r++) {
            int table = KernelChecks.ropePosition(positions, r, cos.size(), half) * half;
            for (int h = 0; h < nHeads; h++) {
                int base = (r * nHeads + h) * headDim;
                for (int i = 0; i < half; i++) {
                    double c = cos.data()[table + i];
                    double s = direction * (double) sin.data()[table + i];
                    double x1 = xd[base + i];
                    double x2 = xd[base + half + i];
                    xd[base + i] = (float) (x1 * c - x2 * s);
                    xd[base + half + i] = (float) (x2 * c + x1 * s);
                }
            }
        }
    }

    // ---- attention -------------------------------------------------------------------------------------------

    @Override
    public void attentionForward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, int[] keyMask, int batch,
                                 int tq, int tk, int nHeads, int nKvHeads, int headDim, float scale) {
        KernelChecks.attentionShape(tq, tk, nHeads, nKvHeads);
        attend(q, k, v, out, lse, keyMask, batch, tq, tk, tk, nHeads, nKvHeads, headDim, scale);
    }

    @Override
    public void attentionForwardCached(Tensor q, Tensor kCache, Tensor vCache, Tensor out, int[] keyMask, int batch,
                                       int tq, int tk, int capacity, int nHeads, int nKvHeads, int headDim,
                                       float scale) {
        KernelChecks.attentionShape(tq, tk, nHeads, nKvHeads);
        KernelChecks.cacheLength(tk, capacity);
        attend(q, kCache, vCache, out, null, keyMask, batch, tq, tk, capacity, nHeads, nKvHeads, headDim, scale);
    }

    /**
     * Attention forward with k, v and keyMask laid out over {@code kvRows} key rows per batch row, of which the
     * first tk are used; lse (null: not saved) as in {@link #attentionForward}.
     */
    private static void attend(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, int[] keyMask, int batch,
                               int tq, int tk, int kvRows, int nHeads, int nKvHeads, int headDim, float scale) {
        float[] qd = q.data();
        float[] kd = k.data();
        float[] vd = v.data();
        float[] o = out.data();
        int group = nHeads / nKvHeads;
        double[] scores = new double[tk];
        double[] acc = new double[headDim];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < nHeads; h++) {
                int kvHead = h / group;
                for (int i = 0; i < tq; i++) {
                    int qBase = ((b * tq + i) * nHeads + h) * headDim;
                    int lastKey = tk - tq + i;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= lastKey; j++) {
                        scores[j] = Double.NEGATIVE_INFINITY;
                        if (keyMask == null || keyMask[b * kvRows + j] != 0) {
                            int kBase = ((b * kvRows + j) * nKvHeads + kvHead) * headDim;
                            scores[j] = scale * dot(qd, qBase, kd, kBase, headDim);
                            max = Math.max(max, scores[j]);
                        }
                    }
                    int lseIndex = (b * nHeads + h) * tq + i;
                    if (max == Double.NEGATIVE_INFINITY) {
                        Arrays.fill(o, qBase, qBase + headDim, 0f);
                        if (lse != null) {
                            lse.data()[lseIndex] = Float.NEGATIVE_INFINITY;
                        }
                        continue;
                    }
                    double sum = 0;
                    Arrays.fill(acc, 0);
                    for (int j = 0; j <= lastKey; j++) {
                        double p = Math.exp(scores[j] - max);
                        sum += p;
                        int vBase = ((b * kvRows + j) * nKvHeads + kvHead) * headDim;
                        for (int d = 0; d < headDim; d++) {
                            acc[d] += p * vd[vBase + d];
                        }
                    }
                    for (int d = 0; d < headDim; d++) {
                        o[qBase + d] = (float) (acc[d] / sum);
                    }
                    if (lse != null) {
                        lse.data()[lseIndex] = (float) (max + Math.log(sum));
                    }
                }
            }
        }
    }

    @Override
    public void attentionBackward(Tensor dout, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, int[] keyMask,
                                  Tensor dq, Tensor dk, Tensor dv, int batch, int tq, int tk, int nHeads,
                                  int nKvHeads, int headDim, float scale) {
        KernelChecks.attentionShape(tq, tk, nHeads, nKvHeads);
        float[] g = dout.data();
        float[] qd = q.data();
        float[] kd = k.data();
        float[] vd = v.data();
        float[] od = out.data();
        int group = nHeads / nKvHeads;
        double[] dqSum = new double[headDim];
        double[] dkSum = new double[tk * headDim];
        double[] dvSum = new double[tk * headDim];
        for (int b = 0; b < batch; b++) {
            for (int kvHead = 0; kvHead < nKvHeads; kvHead++) {
                Arrays.fill(dkSum, 0);
                Arrays.fill(dvSum, 0);
                for (int h = kvHead * group; h < (kvHead + 1) * group; h++) {
                    for (int i = 0; i < tq; i++) {
                        double rowLse = lse.data()[(b * nHeads + h) * tq + i];
                        if (rowLse == Double.NEGATIVE_INFINITY) {
                            continue;
                        }
                        int qBase = ((b * tq + i) * nHeads + h) * headDim;
                        // D = dout · out equals Σ_j p_j (dout · v_j), the softmax Jacobian's diagonal correction.
                        double rowDot = dot(g, qBase, od, qBase, headDim);
                        Arrays.fill(dqSum, 0);
                        for (int j = 0; j <= tk - tq + i; j++) {
                            if (keyMask != null && keyMask[b * tk + j] == 0) {
                                continue;
                            }
                            int kvBase = ((b * tk + j) * nKvHeads + kvHead) * headDim;
                            double p = Math.exp(scale * dot(qd, qBase, kd, kvBase, headDim) - rowLse);
                            double dScore = p * (dot(g, qBase, vd, kvBase, headDim) - rowDot);
                            for (int d = 0; d < headDim; d++) {
                                dqSum[d] += dScore * kd[kvBase + d];
                                dkSum[j * headDim + d] += scale * dScore * qd[qBase + d];
                                dvSum[j * headDim + d] += p * g[qBase + d];
                            }
                        }
                        for (int d = 0; d < headDim; d++) {
                            dq.data()[qBase + d] += (float) (scale * dqSum[d]);
                        }
                    }
                }
                for (int j = 0; j < tk; j++) {
                    int kvBase = ((b * tk + j) * nKvHeads + kvHead) * headDim;
                    for (int d = 0; d < headDim; d++) {
                        dk.data()[kvBase + d] += (float) dkSum[j * headDim + d];
                        dv.data()[kvBase + d] += (float) dvSum[j * headDim + d];
                    }
                }
            }
        }
    }

    private static double dot(float[] a, int aOff, float[] b, int bOff, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += (double) a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    // ---- log-softmax with gather -----------------------------------------------------------------------------

    @Override
    public void logSoftmaxGatherForward(Tensor logits, int logitsOff, int[] targets, int targetsOff, Tensor logp,
                                        Tensor lse, int outOff, int rows, int vocab) {
        float[] x = logits.data();
        for (int r = 0; r < rows; r++) {
            int row = logitsOff + r * vocab;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < vocab; j++) {
                max = Math.max(max, x[row + j]);
            }
            double sum = 0;
            for (int j = 0; j < vocab; j++) {
                sum += Math.exp(x[row + j] - max);
            }
            double rowLse = max + Math.log(sum);
            int target = KernelChecks.target(targets, targetsOff + r, vocab);
            lse.data()[outOff + r] = (float) rowLse;
            logp.data()[outOff + r] = target < 0 ? 0f : (float) (x[row + target] - rowLse);
        }
    }

    @Override
    public void logitStatistics(Tensor logits, int logitsOff, Tensor lse, int outOff, int rows, int vocab, int[] argmax,
                                Tensor entropy) {
        float[] x = logits.data();
        for (int r = 0; r < rows; r++) {
            int row = logitsOff + r * vocab;
            double rowLse = lse.data()[outOff + r];
            int best = 0;
            double expectedLogit = 0;
            for (int j = 0; j < vocab; j++) {
                if (x[row + j] > x[row + best]) {
                    best = j;
                }
                expectedLogit += Math.exp(x[row + j] - rowLse) * x[row + j];
            }
            argmax[outOff + r] = best;
            entropy.data()[outOff + r] = (float) (rowLse - expectedLogit);
        }
    }

    @Override
    public void logSoftmaxGatherBackward(Tensor logits, int logitsOff, int[] targets, int targetsOff, Tensor lse,
                                         Tensor dlogp, int outOff, Tensor dlogits, int rows, int vocab) {
        float[] x = logits.data();
        float[] dx = dlogits.data();
        for (int r = 0; r < rows; r++) {
            int row = logitsOff + r * vocab;
            int target = KernelChecks.target(targets, targetsOff + r, vocab);
            double g = dlogp.data()[outOff + r];
            double rowLse = lse.data()[outOff + r];
            for (int j = 0; j < vocab; j++) {
                double p = Math.exp(x[row + j] - rowLse);
                dx[r * vocab + j] = target < 0 ? 0f : (float) (g * ((j == target ? 1 : 0) - p));
            }
        }
    }

    // ---- optimizer -------------------------------------------------------------------------------------------

    @Override
    public void scaleAddGaussian(Tensor x, int from, int to, long stream, float keep, float scale) {
        Gaussian.scaleAdd(x.data(), from, to, stream, keep, scale);
    }

    @Override
    public void adamwUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, int n, float lr, float beta1, float beta2,
                            float eps, float weightDecay, float bc1, float bc2) {
        AdamWStep step = new AdamWStep(lr, beta1, beta2, eps, weightDecay, bc1, bc2);
        float[] p = param.data();
        float[] g = grad.data();
        float[] md = m.data();
        float[] vd = v.data();
        for (int i = 0; i < n; i++) {
            step.update(p, g, md, vd, i);
        }
    }
}
