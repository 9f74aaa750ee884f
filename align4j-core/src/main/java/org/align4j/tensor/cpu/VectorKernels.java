package org.align4j.tensor.cpu;

import org.align4j.tensor.Kernels;
import org.align4j.tensor.Tensor;

/**
 * The fast CPU backend ("cpu-vector"): Vector API inner loops ({@code FloatVector.SPECIES_PREFERRED}) with scalar
 * tails, multi-threaded through {@link org.align4j.tensor.Parallel} where the work is large enough, and the
 * matrix multiplies of {@link Gemm}. Results are bit-identical whatever the thread count and agree with
 * {@link ScalarKernels} to float rounding.
 *
 * <p>The kernel families live in package-private classes: {@code VectorElementwise} (bias, arithmetic, norms of
 * gradients, embeddings, AdamW), {@code VectorNorms}, {@code VectorActivations}, {@code VectorRope},
 * {@code VectorAttention} and {@code VectorLogSoftmax}.
 */
public final class VectorKernels implements Kernels {

    @Override
    public String name() {
        return "cpu-vector";
    }

    @Override
    public void matmulNN(Tensor a, int aOff, Tensor b, int bOff, Tensor c, int cOff, int m, int n, int k,
                         boolean accumulate) {
        if (b.isBfloat16()) {
            Gemm.nn(a.data(), aOff, b.bfloat16Bits(), bOff, c.data(), cOff, m, n, k, accumulate);
        } else {
            Gemm.nn(a.data(), aOff, b.data(), bOff, c.data(), cOff, m, n, k, accumulate);
        }
    }

    @Override
    public void matmulNT(Tensor a, int aOff, Tensor b, int bOff, Tensor c, int cOff, int m, int n, int k,
                         boolean accumulate) {
        if (b.isBfloat16()) {
            Gemm.nt(a.data(), aOff, b.bfloat16Bits(), bOff, c.data(), cOff, m, n, k, accumulate);
        } else {
            Gemm.nt(a.data(), aOff, b.data(), bOff, c.data(), cOff, m, n, k, accumulate);
        }
    }

    @Override
    public void matmulTN(Tensor a, int aOff, Tensor b, int bOff, Tensor c, int cOff, int m, int n, int k,
                         boolean accumulate) {
        Gemm.tn(a.data(), aOff, b.data(), bOff, c.data(), cOff, m, n, k, accumulate);
    }

    @Override
    public void addBias(Tensor y, Tensor bias, int rows, int n) {
        VectorElementwise.addBias(y.data(), bias.data(), rows, n);
    }

    @Override
    public void biasBackward(Tensor dy, Tensor dbias, int rows, int n) {
        VectorElementwise.biasBackward(dy.data(), dbias.data(), rows, n);
    }

    @Override
    public void addInPlace(Tensor dst, Tensor src, int n) {
        VectorElementwise.addInPlace(dst.data(), src.data(), n);
    }

    @Override
    public void copyColumns(Tensor src, int srcWidth, int srcCol, Tensor dst, int dstWidth, int dstCol, int rows,
                            int cols, boolean accumulate) {
        VectorElementwise.copyColumns(src.data(), srcWidth, srcCol, dst.data(), dstWidth, dstCol, rows, cols,
                accumulate);
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out, int n) {
        VectorElementwise.add(a.data(), b.data(), out.data(), n);
    }

    @Override
    public void scale(Tensor x, float s, int n) {
        VectorElementwise.scale(x.data(), s, n);
    }

    @Override
    public double sumOfSquares(Tensor x, int n) {
        return VectorElementwise.sumOfSquares(x.data(), n);
    }

    @Override
    public void embeddingForward(int[] ids, Tensor table, Tensor out, int dim) {
        if (table.isBfloat16()) {
            VectorElementwise.embeddingForward(ids, table.bfloat16Bits(), out.data(), dim);
        } else {
            VectorElementwise.embeddingForward(ids, table.data(), out.data(), dim);
        }
    }

    @Override
    public void embeddingBackward(int[] ids, Tensor dout, Tensor dtable, int dim) {
        VectorElementwise.embeddingBackward(ids, dout.data(), dtable.data(), dim);
    }

    @Override
    public void layerNormForward(Tensor x, Tensor w, Tensor b, Tensor out, Tensor mean, Tensor rstd, int rows,
                                 int dim, float eps) {
        VectorNorms.layerNormForward(x.data(), w.data(), b == null ? null : b.data(), out.data(), mean.data(),
                rstd.data(), rows, dim, eps);
    }

    @Override
    public void layerNormBackward(Tensor dout, Tensor x, Tensor w, Tensor mean, Tensor rstd, Tensor dx, Tensor dw,
                                  Tensor db, int rows, int dim) {
        VectorNorms.layerNormBackward(dout.data(), x.data(), w.data(), mean.data(), rstd.data(), data(dx), data(dw),
                data(db), rows, dim);
    }

    @Override
    public void rmsNormForward(Tensor x, Tensor w, Tensor out, Tensor rstd, int rows, int dim, float eps) {
        VectorNorms.rmsNormForward(x.data(), w.data(), out.data(), rstd.data(), rows, dim, eps);
    }

    @Override
    public void rmsNormBackward(Tensor dout, Tensor x, Tensor w, Tensor rstd, Tensor dx, Tensor dw, int rows,
                                int dim) {
        VectorNorms.rmsNormBackward(dout.data(), x.data(), w.data(), rstd.data(), data(dx), data(dw), rows, dim);
    }

    @Override
    public void geluForward(Tensor x, Tensor out, int n) {
        VectorActivations.geluForward(x.data(), out.data(), n);
    }

    @Override
    public void geluBackward(Tensor dout, Tensor x, Tensor dx, int n) {
        VectorActivations.geluBackward(dout.data(), x.data(), dx.data(), n);
    }

    @Override
    public void siluForward(Tensor x, Tensor out, int n) {
        VectorActivations.siluForward(x.data(), out.data(), n);
    }

    @Override
    public void siluBackward(Tensor dout, Tensor x, Tensor dx, int n) {
        VectorActivations.siluBackward(dout.data(), x.data(), dx.data(), n);
    }

    @Override
    public void swigluForward(Tensor gate, Tensor up, Tensor out, int n) {
        VectorActivations.swigluForward(gate.data(), up.data(), out.data(), n);
    }

    @Override
    public void swigluBackward(Tensor dout, Tensor gate, Tensor up, Tensor dgate, Tensor dup, int n) {
        VectorActivations.swigluBackward(dout.data(), gate.data(), up.data(), data(dgate), data(dup), n);
    }

    @Override
    public void ropeForward(Tensor x, int[] positions, Tensor cos, Tensor sin, int rows, int nHeads, int headDim) {
        VectorRope.rotate(x.data(), positions, cos.data(), sin.data(), rows, nHeads, headDim, 1);
    }

    @Override
    public void ropeBackward(Tensor dx, int[] positions, Tensor cos, Tensor sin, int rows, int nHeads,
                             int headDim) {
        VectorRope.rotate(dx.data(), positions, cos.data(), sin.data(), rows, nHeads, headDim, -1);
    }

    @Override
    public void attentionForward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, int[] keyMask, int batch,
                                 int tq, int tk, int nHeads, int nKvHeads, int headDim, float scale) {
        VectorAttention.forward(q.data(), k.data(), v.data(), out.data(), lse.data(), keyMask, batch, tq, tk, tk,
                nHeads, nKvHeads, headDim, scale);
    }

    @Override
    public void attentionForwardCached(Tensor q, Tensor kCache, Tensor vCache, Tensor out, int[] keyMask, int batch,
                                       int tq, int tk, int capacity, int nHeads, int nKvHeads, int headDim,
                                       float scale) {
        VectorAttention.forward(q.data(), kCache.data(), vCache.data(), out.data(), null, keyMask, batch, tq, tk,
                capacity, nHeads, nKvHeads, headDim, scale);
    }

    @Override
    public void attentionBackward(Tensor dout, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, int[] keyMask,
                                  Tensor dq, Tensor dk, Tensor dv, int batch, int tq, int tk, int nHeads,
                                  int nKvHeads, int headDim, float scale) {
        VectorAttention.backward(dout.data(), q.data(), k.data(), v.data(), out.data(), lse.data(), keyMask,
                dq.data(), dk.data(), dv.data(), batch, tq, tk, nHeads, nKvHeads, headDim, scale);
    }

    @Override
    public void logSoftmaxGatherForward(Tensor logits, int logitsOff, int[] targets, int targetsOff, Tensor logp,
                                        Tensor lse, int outOff, int rows, int vocab) {
        VectorLogSoftmax.forward(logits.data(), logitsOff, targets, targetsOff, logp.data(), lse.data(), outOff, rows,
                vocab);
    }

    @Override
    public void logitStatistics(Tensor logits, int logitsOff, Tensor lse, int outOff, int rows, int vocab, int[] argmax,
                                Tensor entropy) {
        VectorLogSoftmax.statistics(logits.data(), logitsOff, lse.data(), outOff, rows, vocab, argmax, entropy.data());
    }

    @Override
    public void logSoftmaxGatherBackward(Tensor logits, int logitsOff, int[] targets, int targetsOff, Tensor lse,
                                         Tensor dlogp, int outOff, Tensor dlogits, int rows, int vocab) {
        VectorLogSoftmax.backward(logits.data(), logitsOff, targets, targetsOff, lse.data(), dlogp.data(), outOff,
                dlogits.data(), rows, vocab);
    }

    @Override
    public void scaleAddGaussian(Tensor x, int from, int to, long stream, float keep, float scale) {
        VectorGaussian.scaleAdd(x.data(), from, to, stream, keep, scale);
    }

    @Override
    public void adamwUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, int n, float lr, float beta1, float beta2,
                            float eps, float weightDecay, float bc1, float bc2) {
        VectorElementwise.adamwUpdate(param.data(), grad.data(), m.data(), v.data(), n,
                new AdamWStep(lr, beta1, beta2, eps, weightDecay, bc1, bc2));
    }

    /** The storage of an optional gradient (null: not wanted). */
    private static float[] data(Tensor gradient) {
        return gradient == null ? null : gradient.data();
    }
}
