package org.align4j.tensor;

/**
 * The engine's compute kernels: every numeric loop of forward, backward and the optimizer goes through this
 * interface, so that a backend (CPU now, CUDA later) can be swapped without touching models or autograd.
 *
 * <p>Conventions: float32, row-major, contiguous. Offsets and sizes count elements. Methods named {@code ...Backward}
 * <b>accumulate</b> into gradient outputs ({@code +=}) unless documented otherwise; forward outputs are overwritten.
 * Every implementation must be deterministic: the same inputs give bit-identical outputs whatever the thread count
 * (reductions run in a fixed order; parallel work is split so that each output element has one writer).
 *
 * <p>Attention tensors use the projection layout: q is [B, Tq, nHeads * headDim], k and v are
 * [B, Tk, nKvHeads * headDim]; query head h reads kv head {@code h / (nHeads / nKvHeads)} (grouped-query attention).
 */
public interface Kernels {

    /** A short name for logs and benchmarks, e.g. "cpu-vector" or "cpu-scalar". */
    String name();

    // ---- matrix multiply -------------------------------------------------------------------------------------

    /** C[m,n] (+)= A[m,k] · B[k,n]; {@code accumulate} false overwrites C. B may be bfloat16 (frozen weights). */
    void matmulNN(Tensor a, int aOff, Tensor b, int bOff, Tensor c, int cOff, int m, int n, int k, boolean accumulate);

    /** C[m,n] (+)= A[m,k] · B[n,k]ᵀ. B may be bfloat16 (frozen weights). */
    void matmulNT(Tensor a, int aOff, Tensor b, int bOff, Tensor c, int cOff, int m, int n, int k, boolean accumulate);

    /** C[m,n] (+)= A[k,m]ᵀ · B[k,n]. */
    void matmulTN(Tensor a, int aOff, Tensor b, int bOff, Tensor c, int cOff, int m, int n, int k, boolean accumulate);

    // ---- elementwise and reductions --------------------------------------------------------------------------

    /** y[r, :] += bias[:] for r in [0, rows). */
    void addBias(Tensor y, Tensor bias, int rows, int n);

    /** dbias[:] += sum over rows of dy[r, :]. */
    void biasBackward(Tensor dy, Tensor dbias, int rows, int n);

    /** dst[0..n) += src[0..n). */
    void addInPlace(Tensor dst, Tensor src, int n);

    /** out[0..n) = a[0..n) + b[0..n). */
    void add(Tensor a, Tensor b, Tensor out, int n);

    /**
     * Copies a block of {@code cols} columns for {@code rows} rows: dst[r, dstCol + c] (+)= src[r, srcCol + c], where
     * src rows are {@code srcWidth} wide and dst rows {@code dstWidth} wide; {@code accumulate} false overwrites.
     */
    void copyColumns(Tensor src, int srcWidth, int srcCol, Tensor dst, int dstWidth, int dstCol, int rows, int cols,
                     boolean accumulate);

    /** x[0..n) *= s. */
    void scale(Tensor x, float s, int n);

    /** Sum of squares of x[0..n) in double precision (for gradient norms). */
    double sumOfSquares(Tensor x, int n);

    // ---- embedding -------------------------------------------------------------------------------------------

    /** out[i, :] = table[ids[i], :] for i in [0, ids.length); dim is the row width. The table may be bfloat16. */
    void embeddingForward(int[] ids, Tensor table, Tensor out, int dim);

    /** dtable[ids[i], :] += dout[i, :]; repeated ids accumulate in index order. */
    void embeddingBackward(int[] ids, Tensor dout, Tensor dtable, int dim);

    // ---- normalisation ---------------------------------------------------------------------------------------

    /**
     * LayerNorm over the last dimension: out = (x - mean) * rstd * w + b. Saves mean[rows] and rstd[rows]
     * (rstd = 1 / sqrt(var + eps), biased variance). {@code b} may be null.
     */
    void layerNormForward(Tensor x, Tensor w, Tensor b, Tensor out, Tensor mean, Tensor rstd, int rows, int dim, float eps);

    /** Accumulates dx, dw and db from dout and the saved mean/rstd; a null gradient is not computed. */
    void layerNormBackward(Tensor dout, Tensor x, Tensor w, Tensor mean, Tensor rstd, Tensor dx, Tensor dw, Tensor db,
                           int rows, int dim);

    /** RMSNorm (HF Llama): out = x * rstd * w with rstd = 1 / sqrt(mean(x²) + eps); saves rstd[rows]. */
    void rmsNormForward(Tensor x, Tensor w, Tensor out, Tensor rstd, int rows, int dim, float eps);

    /** Accumulates dx and dw; a null gradient is not computed. */
    void rmsNormBackward(Tensor dout, Tensor x, Tensor w, Tensor rstd, Tensor dx, Tensor dw, int rows, int dim);

    // ---- activations -----------------------------------------------------------------------------------------

    /** GELU, tanh approximation (HF {@code gelu_new}): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x³))). */
    void geluForward(Tensor x, Tensor out, int n);

    /** dx += dout * gelu'(x). */
    void geluBackward(Tensor dout, Tensor x, Tensor dx, int n);

    /** SiLU: x * sigmoid(x). */
    void siluForward(Tensor x, Tensor out, int n);

    /** dx += dout * silu'(x). */
    void siluBackward(Tensor dout, Tensor x, Tensor dx, int n);

    /** SwiGLU: out = silu(gate) * up. */
    void swigluForward(Tensor gate, Tensor up, Tensor out, int n);

    /** dgate += dout * up * silu'(gate); dup += dout * silu(gate); a null gradient is not computed. */
    void swigluBackward(Tensor dout, Tensor gate, Tensor up, Tensor dgate, Tensor dup, int n);

    // ---- rotary position embedding ---------------------------------------------------------------------------

    /**
     * Rotary embedding in place, HF "rotate_half" convention: for each head vector x of width headDim and
     * i in [0, headDim/2): with c = cos[p, i], s = sin[p, i] and p = positions[row],
     * x[i] ← x[i] c − x[i + half] s and x[i + half] ← x[i + half] c + x[i] s.
     * x is [rows, nHeads * headDim]; cos and sin are [maxPositions, headDim / 2].
     */
    void ropeForward(Tensor x, int[] positions, Tensor cos, Tensor sin, int rows, int nHeads, int headDim);

    /** The transpose of {@link #ropeForward} applied in place to a gradient (rotation by −angle). */
    void ropeBackward(Tensor dx, int[] positions, Tensor cos, Tensor sin, int rows, int nHeads, int headDim);

    // ---- attention -------------------------------------------------------------------------------------------

    /**
     * Causal scaled-dot-product attention with a key padding mask and grouped-query heads.
     * Query i of a row has absolute position {@code Tk - Tq + i} and attends to keys j &lt;= that position whose
     * {@code keyMask[b * Tk + j]} is non-zero ({@code keyMask} null means all keys valid). A query with no visible
     * key outputs zeros. Saves lse[B, nHeads, Tq] (log-sum-exp of the scaled scores; -inf for a query with no
     * visible key) so that backward recomputes the probabilities instead of storing them.
     */
    void attentionForward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, int[] keyMask,
                          int batch, int tq, int tk, int nHeads, int nKvHeads, int headDim, float scale);

    /**
     * Inference attention over a key/value cache: the same causal, key-masked, grouped-query attention as
     * {@link #attentionForward}, but k and v are [B, capacity, nKvHeads * headDim] of which the first {@code tk} rows
     * of each batch row are used, and {@code keyMask} (null: all keys valid) is [B, capacity]. q and out are
     * [B, Tq, nHeads * headDim]; query i has absolute position {@code tk - tq + i}. Saves nothing for a backward pass.
     */
    void attentionForwardCached(Tensor q, Tensor kCache, Tensor vCache, Tensor out, int[] keyMask,
                                int batch, int tq, int tk, int capacity, int nHeads, int nKvHeads, int headDim,
                                float scale);

    /** Accumulates dq, dk and dv (dk and dv summed over the query heads that share a kv head). */
    void attentionBackward(Tensor dout, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, int[] keyMask,
                           Tensor dq, Tensor dk, Tensor dv,
                           int batch, int tq, int tk, int nHeads, int nKvHeads, int headDim, float scale);

    // ---- log-softmax with gather -----------------------------------------------------------------------------

    /**
     * For each row r of logits[rows, vocab] (starting at element {@code logitsOff}): lse[r] = logsumexp(row) and
     * logp[r] = row[targets[r]] − lse[r]. A negative target marks an ignored row: logp[r] = 0.
     * Outputs are written at index {@code outOff + r}.
     */
    void logSoftmaxGatherForward(Tensor logits, int logitsOff, int[] targets, int targetsOff, Tensor logp, Tensor lse,
                                 int outOff, int rows, int vocab);

    /**
     * dlogits[r, :] = dlogp[r] * (onehot(targets[r]) − softmax(row)) for non-ignored rows, 0 for ignored rows.
     * dlogits is <b>overwritten</b> (rows × vocab starting at element 0).
     */
    void logSoftmaxGatherBackward(Tensor logits, int logitsOff, int[] targets, int targetsOff, Tensor lse, Tensor dlogp,
                                  int outOff, Tensor dlogits, int rows, int vocab);

    /**
     * Per-row statistics of logits[rows, vocab] (starting at element {@code logitsOff}) given their log-sum-exp
     * lse[outOff + r]: argmax[outOff + r] = the index of the row's largest logit (the first one on ties) and
     * entropy[outOff + r] = −Σ_j p_j log p_j with p = softmax(row), computed as lse − Σ_j p_j x_j.
     */
    void logitStatistics(Tensor logits, int logitsOff, Tensor lse, int outOff, int rows, int vocab, int[] argmax,
                         Tensor entropy);

    // ---- optimizer -------------------------------------------------------------------------------------------

    /**
     * x[i] ← keep·x[i] + scale·z(stream, i) for i in [from, to), where z(stream, i) is a standard normal draw that
     * depends only on the stream and the index (not on from/to, the thread count or the backend): the counter-based
     * generator defined in {@code org.align4j.tensor.cpu.Gaussian} (hashed counters, Box-Muller with polynomial
     * ln and sin), which every backend reproduces bit for bit. MeZO's perturbations regenerate z with it.
     */
    void scaleAddGaussian(Tensor x, int from, int to, long stream, float keep, float scale);


    /**
     * One AdamW update (PyTorch {@code torch.optim.AdamW}, decoupled weight decay) on n elements:
     * p ← p − lr·wd·p; m ← b1 m + (1−b1) g; v ← b2 v + (1−b2) g²;
     * p ← p − lr · (m / bc1) / (sqrt(v / bc2) + eps), with bc1 = 1 − b1^t and bc2 = 1 − b2^t.
     */
    void adamwUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, int n,
                     float lr, float beta1, float beta2, float eps, float weightDecay, float bc1, float bc2);
}
