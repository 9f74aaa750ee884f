package org.align4j.autograd;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.align4j.tensor.Backend;
import org.align4j.tensor.Kernels;
import org.align4j.tensor.Tensor;

/**
 * The coarse differentiable ops models are built from. Each op computes its forward with the backend's
 * {@link Kernels} and, when the tape records and an input needs a gradient, records its hand-written backward right
 * beside it (as llm.c pairs each layer's forward and backward). Activations are 2-D [rows, width] with rows = batch x
 * sequence.
 */
public final class Ops {
    /**
     * Upper bound on logits elements materialised at once by {@link #tokenLogProbs} (64 MiB, and as much again for
     * their gradient). Each chunk multiplies its rows by the whole lm_head, whose packing for the GEMM is paid once
     * per chunk: with 2^21 elements a GPT-2 step of 256 rows took 7 chunks, and packing the 50257 x 768 lm_head 21
     * times was a fifth of the step.
     */
    public static final int LOGITS_CHUNK_ELEMENTS = 1 << 24;

    private Ops() {
    }

    private static Kernels k() {
        return Backend.kernels();
    }

    private static Var output(Tape tape, Tensor value, Var... inputs) {
        return new Var(value, tape.needsGrad(inputs));
    }

    /** HF {@code nn.Linear}: y[rows, out] = x[rows, in] · Wᵀ + b with W stored [out, in]; {@code b} may be null. */
    public static Var linear(Tape tape, Var x, Var w, Var b) {
        int out = w.value().dim(0);
        int in = w.value().dim(1);
        int rows = rowsOf(x, in, "linear");
        Tensor y = Tensor.zeros(rows, out);
        k().matmulNT(x.value(), 0, w.value(), 0, y, 0, rows, out, in, false);
        if (b != null) {
            k().addBias(y, b.value(), rows, out);
        }
        Var result = output(tape, y, x, w, b);
        if (result.requiresGrad()) {
            tape.record(() -> {
                Tensor dy = result.grad();
                if (x.requiresGrad()) {
                    k().matmulNN(dy, 0, w.value(), 0, x.grad(), 0, rows, in, out, true);
                }
                if (w.requiresGrad()) {
                    k().matmulTN(dy, 0, x.value(), 0, w.grad(), 0, out, in, rows, true);
                }
                if (b != null && b.requiresGrad()) {
                    k().biasBackward(dy, b.grad(), rows, out);
                }
            });
        }
        return result;
    }

    /** GPT-2 {@code Conv1D}: y[rows, out] = x[rows, in] · W + b with W stored [in, out]. */
    public static Var conv1d(Tape tape, Var x, Var w, Var b) {
        int in = w.value().dim(0);
        int out = w.value().dim(1);
        int rows = rowsOf(x, in, "conv1d");
        Tensor y = Tensor.zeros(rows, out);
        k().matmulNN(x.value(), 0, w.value(), 0, y, 0, rows, out, in, false);
        if (b != null) {
            k().addBias(y, b.value(), rows, out);
        }
        Var result = output(tape, y, x, w, b);
        if (result.requiresGrad()) {
            tape.record(() -> {
                Tensor dy = result.grad();
                if (x.requiresGrad()) {
                    k().matmulNT(dy, 0, w.value(), 0, x.grad(), 0, rows, in, out, true);
                }
                if (w.requiresGrad()) {
                    k().matmulTN(x.value(), 0, dy, 0, w.grad(), 0, in, out, rows, true);
                }
                if (b != null && b.requiresGrad()) {
                    k().biasBackward(dy, b.grad(), rows, out);
                }
            });
        }
        return result;
    }

    /**
     * A linear module on quantised operands with the straight-through estimator, as BitNet's BitLinear trains (Wang et
     * al. 2023, arXiv 2310.11453, section 2.3; Ma et al. 2024, arXiv 2402.17764): the forward is
     * y = x̂ · Ŵᵀ + b (Conv1D: x̂ · Ŵ + b) with x̂ = {@code quantizedInput} and Ŵ = {@code quantizedWeight}, the
     * dequantised values of x [rows, in] and of the latent weight w; the backward treats the quantisers as the
     * identity, dx = dy · Ŵ and dw = dyᵀ · x̂ (Conv1D: x̂ᵀ · dy), which is the gradient of
     * {@code F.linear(x + (x̂ − x).detach(), w + (Ŵ − w).detach(), b)}. {@code b} may be null.
     */
    public static Var straightThroughLinear(Tape tape, Var x, Tensor quantizedInput, Var w, Tensor quantizedWeight,
                                            Var b, boolean conv1d) {
        int in = w.value().dim(conv1d ? 0 : 1);
        int out = w.value().dim(conv1d ? 1 : 0);
        int rows = rowsOf(x, in, "straight-through linear");
        if (quantizedInput.size() != x.value().size() || !quantizedWeight.sameShape(w.value())) {
            throw new IllegalArgumentException("straight-through linear: quantised operands " + quantizedInput + ", "
                    + quantizedWeight + " differ from " + x.value() + ", " + w.value());
        }
        Tensor y = Tensor.zeros(rows, out);
        if (conv1d) {
            k().matmulNN(quantizedInput, 0, quantizedWeight, 0, y, 0, rows, out, in, false);
        } else {
            k().matmulNT(quantizedInput, 0, quantizedWeight, 0, y, 0, rows, out, in, false);
        }
        if (b != null) {
            k().addBias(y, b.value(), rows, out);
        }
        Var result = output(tape, y, x, w, b);
        if (result.requiresGrad()) {
            tape.record(() -> {
                Tensor dy = result.grad();
                if (x.requiresGrad()) {
                    if (conv1d) {
                        k().matmulNT(dy, 0, quantizedWeight, 0, x.grad(), 0, rows, in, out, true);
                    } else {
                        k().matmulNN(dy, 0, quantizedWeight, 0, x.grad(), 0, rows, in, out, true);
                    }
                }
                if (w.requiresGrad()) {
                    if (conv1d) {
                        k().matmulTN(quantizedInput, 0, dy, 0, w.grad(), 0, in, out, rows, true);
                    } else {
                        k().matmulTN(dy, 0, quantizedInput, 0, w.grad(), 0, out, in, rows, true);
                    }
                }
                if (b != null && b.requiresGrad()) {
                    k().biasBackward(dy, b.grad(), rows, out);
                }
            });
        }
        return result;
    }

    /**
     * The low-rank update of LoRA (Hu et al. 2021, eq. 3) added to a linear module's output: y + scale · (x Aᵀ) Bᵀ,
     * with x[rows, in], A[r, in], B[out, r] and y[rows, out]. The sum is written into y's storage, which the result
     * shares, so that an adapted module keeps no second [rows, out] activation: y must be the output of the op just
     * run (a linear or Conv1D, whose backward does not read its output) and must not be read by anything else.
     * Backward keeps only scale · x Aᵀ [rows, r].
     */
    public static Var addLowRank(Tape tape, Var y, Var x, Var a, Var b, float scale) {
        int rank = a.value().dim(0);
        int in = a.value().dim(1);
        int out = b.value().dim(0);
        if (b.value().dim(1) != rank) {
            throw new IllegalArgumentException("low rank: A " + a.value() + " and B " + b.value() + " differ in rank");
        }
        int rows = rowsOf(x, in, "low rank");
        if (y.value().size() != rows * out) {
            throw new IllegalArgumentException("low rank: output " + y.value() + " is not " + rows + " rows of width "
                    + out);
        }
        Tensor scaledDown = Tensor.zeros(rows, rank);
        k().matmulNT(x.value(), 0, a.value(), 0, scaledDown, 0, rows, rank, in, false);
        k().scale(scaledDown, scale, scaledDown.size());
        k().matmulNT(scaledDown, 0, b.value(), 0, y.value(), 0, rows, out, rank, true);
        Var result = output(tape, y.value(), y, x, a, b);
        if (result.requiresGrad()) {
            tape.record(() -> {
                Tensor dy = result.grad();
                if (y.requiresGrad()) {
                    k().addInPlace(y.grad(), dy, dy.size());
                }
                if (b.requiresGrad()) {
                    k().matmulTN(dy, 0, scaledDown, 0, b.grad(), 0, out, rank, rows, true);
                }
                if (x.requiresGrad() || a.requiresGrad()) {
                    Tensor dDown = Tensor.zeros(rows, rank);
                    k().matmulNN(dy, 0, b.value(), 0, dDown, 0, rows, rank, out, false);
                    k().scale(dDown, scale, dDown.size());
                    if (a.requiresGrad()) {
                        k().matmulTN(dDown, 0, x.value(), 0, a.grad(), 0, rank, in, rows, true);
                    }
                    if (x.requiresGrad()) {
                        k().matmulNN(dDown, 0, a.value(), 0, x.grad(), 0, rows, in, rank, true);
                    }
                }
            });
        }
        return result;
    }

    /**
     * Inverted dropout as {@code torch.nn.Dropout} applies it in training: each element is zeroed with probability
     * {@code p} and the others are scaled by 1 / (1 − p); the mask is drawn from {@code random}, one draw per element
     * in order.
     */
    public static Var dropout(Tape tape, Var x, double p, SplittableRandom random) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability " + p + " is not in [0, 1)");
        }
        int n = x.value().size();
        float keptScale = (float) (1 / (1 - p));
        float[] mask = new float[n];
        for (int i = 0; i < n; i++) {
            mask[i] = random.nextDouble() < p ? 0f : keptScale;
        }
        Tensor out = Tensor.zeros(x.value().shape());
        float[] xs = x.value().data();
        float[] o = out.data();
        for (int i = 0; i < n; i++) {
            o[i] = xs[i] * mask[i];
        }
        Var result = output(tape, out, x);
        if (result.requiresGrad()) {
            tape.record(() -> {
                float[] g = result.grad().data();
                float[] dx = x.grad().data();
                for (int i = 0; i < n; i++) {
                    dx[i] += g[i] * mask[i];
                }
            });
        }
        return result;
    }

    /** Rows of table[V, dim] selected by {@code ids}: out[i] = table[ids[i]]. */
    public static Var embedding(Tape tape, int[] ids, Var table) {
        int vocab = table.value().dim(0);
        int dim = table.value().dim(1);
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        Tensor out = Tensor.zeros(ids.length, dim);
        k().embeddingForward(ids, table.value(), out, dim);
        Var result = output(tape, out, table);
        if (result.requiresGrad()) {
            tape.record(() -> k().embeddingBackward(ids, result.grad(), table.grad(), dim));
        }
        return result;
    }

    /** Elementwise a + b (same shape). */
    public static Var add(Tape tape, Var a, Var b) {
        requireSameShape(a, b, "add");
        int n = a.value().size();
        Tensor out = Tensor.zeros(a.value().shape());
        k().add(a.value(), b.value(), out, n);
        Var result = output(tape, out, a, b);
        if (result.requiresGrad()) {
            tape.record(() -> {
                if (a.requiresGrad()) {
                    k().addInPlace(a.grad(), result.grad(), n);
                }
                if (b.requiresGrad()) {
                    k().addInPlace(b.grad(), result.grad(), n);
                }
            });
        }
        return result;
    }

    /** Elementwise {@code factor} · x (e.g. hidden states divided by a sampling temperature before the lm_head). */
    public static Var scale(Tape tape, Var x, float factor) {
        int n = x.value().size();
        Tensor out = x.value().copy();
        k().scale(out, factor, n);
        Var result = output(tape, out, x);
        if (result.requiresGrad()) {
            tape.record(() -> {
                Tensor dy = result.grad().copy();
                k().scale(dy, factor, n);
                k().addInPlace(x.grad(), dy, n);
            });
        }
        return result;
    }

    /** LayerNorm over the last dimension (width of {@code w}); {@code b} may be null. */
    public static Var layerNorm(Tape tape, Var x, Var w, Var b, float eps) {
        int dim = w.value().size();
        int rows = rowsOf(x, dim, "layer_norm");
        Tensor out = Tensor.zeros(x.value().shape());
        Tensor mean = Tensor.zeros(rows);
        Tensor rstd = Tensor.zeros(rows);
        k().layerNormForward(x.value(), w.value(), b == null ? null : b.value(), out, mean, rstd, rows, dim, eps);
        Var result = output(tape, out, x, w, b);
        if (result.requiresGrad()) {
            tape.record(() -> k().layerNormBackward(result.grad(), x.value(), w.value(), mean, rstd,
                    x.requiresGrad() ? x.grad() : null, w.requiresGrad() ? w.grad() : null,
                    b != null && b.requiresGrad() ? b.grad() : null, rows, dim));
        }
        return result;
    }

    /**
     * RMSNorm over groups of {@code dim = w.size()} consecutive elements (the hidden state, or each attention head
     * for Qwen3's q_norm/k_norm).
     */
    public static Var rmsNorm(Tape tape, Var x, Var w, float eps) {
        int dim = w.value().size();
        int rows = rowsOf(x, dim, "rms_norm");
        Tensor out = Tensor.zeros(x.value().shape());
        Tensor rstd = Tensor.zeros(rows);
        k().rmsNormForward(x.value(), w.value(), out, rstd, rows, dim, eps);
        Var result = output(tape, out, x, w);
        if (result.requiresGrad()) {
            tape.record(() -> k().rmsNormBackward(result.grad(), x.value(), w.value(), rstd,
                    x.requiresGrad() ? x.grad() : null, w.requiresGrad() ? w.grad() : null, rows, dim));
        }
        return result;
    }

    /** GELU, tanh form (HF {@code gelu_new}). */
    public static Var gelu(Tape tape, Var x) {
        int n = x.value().size();
        Tensor out = Tensor.zeros(x.value().shape());
        k().geluForward(x.value(), out, n);
        Var result = output(tape, out, x);
        if (result.requiresGrad()) {
            tape.record(() -> k().geluBackward(result.grad(), x.value(), x.grad(), n));
        }
        return result;
    }

    /** SwiGLU: silu(gate) * up. */
    public static Var swiglu(Tape tape, Var gate, Var up) {
        requireSameShape(gate, up, "swiglu");
        int n = gate.value().size();
        Tensor out = Tensor.zeros(gate.value().shape());
        k().swigluForward(gate.value(), up.value(), out, n);
        Var result = output(tape, out, gate, up);
        if (result.requiresGrad()) {
            tape.record(() -> k().swigluBackward(result.grad(), gate.value(), up.value(),
                    gate.requiresGrad() ? gate.grad() : null, up.requiresGrad() ? up.grad() : null, n));
        }
        return result;
    }

    /** Rotary position embedding of x[rows, nHeads * headDim] at per-row positions (HF rotate_half convention). */
    public static Var rope(Tape tape, Var x, int[] positions, Tensor cos, Tensor sin, int nHeads, int headDim) {
        int rows = rowsOf(x, nHeads * headDim, "rope");
        Tensor out = x.value().copy();
        k().ropeForward(out, positions, cos, sin, rows, nHeads, headDim);
        Var result = output(tape, out, x);
        if (result.requiresGrad()) {
            tape.record(() -> {
                Tensor d = result.grad().copy();
                k().ropeBackward(d, positions, cos, sin, rows, nHeads, headDim);
                k().addInPlace(x.grad(), d, d.size());
            });
        }
        return result;
    }

    /**
     * Causal self-attention with a key padding mask and grouped-query heads: q[B*T, nHeads*headDim],
     * k and v [B*T, nKvHeads*headDim]; returns [B*T, nHeads*headDim].
     */
    public static Var attention(Tape tape, Var q, Var kv, Var v, int[] keyMask, int batch, int seq,
                                int nHeads, int nKvHeads, int headDim, float scale) {
        Tensor out = Tensor.zeros(batch * seq, nHeads * headDim);
        Tensor lse = Tensor.zeros(batch * nHeads * seq);
        k().attentionForward(q.value(), kv.value(), v.value(), out, lse, keyMask,
                batch, seq, seq, nHeads, nKvHeads, headDim, scale);
        Var result = output(tape, out, q, kv, v);
        if (result.requiresGrad()) {
            tape.record(() -> k().attentionBackward(result.grad(), q.value(), kv.value(), v.value(), out, lse, keyMask,
                    q.grad(), kv.grad(), v.grad(), batch, seq, seq, nHeads, nKvHeads, headDim, scale));
        }
        return result;
    }

    /** Splits x[rows, Σ widths] into column blocks of the given widths (GPT-2's fused c_attn output). */
    public static Var[] splitColumns(Tape tape, Var x, int... widths) {
        int total = Arrays.stream(widths).sum();
        int rows = rowsOf(x, total, "split");
        Var[] parts = new Var[widths.length];
        int col = 0;
        for (int p = 0; p < widths.length; p++) {
            int width = widths[p];
            int start = col;
            Tensor part = Tensor.zeros(rows, width);
            k().copyColumns(x.value(), total, start, part, width, 0, rows, width, false);
            Var result = output(tape, part, x);
            parts[p] = result;
            if (result.requiresGrad()) {
                tape.record(() -> k().copyColumns(result.grad(), width, 0, x.grad(), total, start, rows, width, true));
            }
            col += width;
        }
        return parts;
    }

    /**
     * Fused lm_head + log-softmax + gather: logp[r] = log softmax(hidden[r] · Wᵀ)[targets[r]] for every row with a
     * target >= 0 (0 elsewhere). Only rows with a target are projected, in chunks, so the full [rows, vocab] logits
     * never exist; backward recomputes each chunk's logits.
     */
    public static Var tokenLogProbs(Tape tape, Var hidden, Var lmHead, int[] targets) {
        return tokenLogProbs(tape, hidden, lmHead, targets, null, null, LOGITS_CHUNK_ELEMENTS);
    }

    /**
     * {@link #tokenLogProbs(Tape, Var, Var, int[])} that also fills {@code statistics} (argmax and entropy of the
     * predicted distribution at each position with a target) from the same chunks of logits, with the backend's
     * {@code logitStatistics} kernel.
     */
    public static Var tokenLogProbs(Tape tape, Var hidden, Var lmHead, int[] targets, TokenStatistics statistics) {
        return tokenLogProbs(tape, hidden, lmHead, targets, statistics, null, LOGITS_CHUNK_ELEMENTS);
    }

    /** Sees the logits the fused lm_head projects, chunk by chunk, during the forward pass. */
    @FunctionalInterface
    public interface LogitsObserver {
        /**
         * {@code logits} [rows.length, vocab] are the logits of the hidden rows {@code rows}; read only, and valid
         * only during the call.
         */
        void observe(int[] rows, Tensor logits);
    }

    /**
     * {@link #tokenLogProbs(Tape, Var, Var, int[])} that also shows every projected chunk of logits (the rows with a
     * target) to {@code observer}, e.g. for metrics over the predicted distributions, without projecting them again.
     */
    public static Var tokenLogProbs(Tape tape, Var hidden, Var lmHead, int[] targets, LogitsObserver observer) {
        return tokenLogProbs(tape, hidden, lmHead, targets, null, observer, LOGITS_CHUNK_ELEMENTS);
    }

    /**
     * The fused lm_head with at most {@code chunkElements} logits at once; {@code statistics} and {@code observer}
     * may be null.
     */
    static Var tokenLogProbs(Tape tape, Var hidden, Var lmHead, int[] targets, TokenStatistics statistics,
                             LogitsObserver observer, int chunkElements) {
        int vocab = lmHead.value().dim(0);
        int dim = lmHead.value().dim(1);
        int rows = rowsOf(hidden, dim, "lm_head");
        if (targets.length != rows) {
            throw new IllegalArgumentException("targets has " + targets.length + " entries for " + rows + " rows");
        }
        for (int t : targets) {
            if (t >= vocab) {
                throw new IllegalArgumentException("target id " + t + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        int[] active = activeRows(targets);
        int[] activeTargets = new int[active.length];
        for (int i = 0; i < active.length; i++) {
            activeTargets[i] = targets[active[i]];
        }
        int chunk = Math.max(1, Math.min(active.length, chunkElements / vocab));
        Tensor logpActive = Tensor.zeros(active.length);
        Tensor lse = Tensor.zeros(active.length);
        int[] argmax = new int[active.length];
        Tensor entropy = Tensor.zeros(active.length);
        for (int r0 = 0; r0 < active.length; r0 += chunk) {
            int n = Math.min(chunk, active.length - r0);
            ChunkLogits c = chunkLogits(hidden.value(), lmHead.value(), active, r0, n, vocab, dim);
            k().logSoftmaxGatherForward(c.logits(), 0, activeTargets, r0, logpActive, lse, r0, n, vocab);
            if (statistics != null) {
                k().logitStatistics(c.logits(), 0, lse, r0, n, vocab, argmax, entropy);
            }
            if (observer != null) {
                observer.observe(c.rowIds(), c.logits());
            }
        }
        if (statistics != null) {
            if (statistics.argmax().length != rows || statistics.entropy().length != rows) {
                throw new IllegalArgumentException("token statistics sized for " + statistics.argmax().length
                        + " rows, the batch has " + rows);
            }
            for (int i = 0; i < active.length; i++) {
                statistics.argmax()[active[i]] = argmax[i];
                statistics.entropy()[active[i]] = entropy.get(i);
            }
        }
        Tensor logp = Tensor.zeros(rows);
        float[] lp = logp.data();
        for (int i = 0; i < active.length; i++) {
            lp[active[i]] = logpActive.data()[i];
        }
        Var result = output(tape, logp, hidden, lmHead);
        if (result.requiresGrad()) {
            tape.record(() -> {
                float[] g = result.grad().data();
                Tensor dlogpActive = Tensor.zeros(active.length);
                for (int i = 0; i < active.length; i++) {
                    dlogpActive.data()[i] = g[active[i]];
                }
                for (int r0 = 0; r0 < active.length; r0 += chunk) {
                    int n = Math.min(chunk, active.length - r0);
                    ChunkLogits c = chunkLogits(hidden.value(), lmHead.value(), active, r0, n, vocab, dim);
                    Tensor dlogits = Tensor.zeros(n, vocab);
                    k().logSoftmaxGatherBackward(c.logits(), 0, activeTargets, r0, lse, dlogpActive, r0, dlogits, n, vocab);
                    if (hidden.requiresGrad()) {
                        Tensor dh = Tensor.zeros(n, dim);
                        k().matmulNN(dlogits, 0, lmHead.value(), 0, dh, 0, n, dim, vocab, false);
                        k().embeddingBackward(c.rowIds(), dh, hidden.grad(), dim);
                    }
                    if (lmHead.requiresGrad()) {
                        k().matmulTN(dlogits, 0, c.hidden(), 0, lmHead.grad(), 0, vocab, dim, n, true);
                    }
                }
            });
        }
        return result;
    }

    /** One chunk of the fused lm_head: the selected rows, their hidden states and their logits. */
    private record ChunkLogits(int[] rowIds, Tensor hidden, Tensor logits) {
    }

    private static ChunkLogits chunkLogits(Tensor hidden, Tensor lmHead, int[] active, int r0, int n, int vocab, int dim) {
        int[] rowIds = Arrays.copyOfRange(active, r0, r0 + n);
        Tensor h = Tensor.zeros(n, dim);
        k().embeddingForward(rowIds, hidden, h, dim);
        Tensor logits = Tensor.zeros(n, vocab);
        k().matmulNT(h, 0, lmHead, 0, logits, 0, n, vocab, dim, false);
        return new ChunkLogits(rowIds, h, logits);
    }

    private static int[] activeRows(int[] targets) {
        int count = 0;
        for (int t : targets) {
            if (t >= 0) {
                count++;
            }
        }
        int[] active = new int[count];
        int j = 0;
        for (int r = 0; r < targets.length; r++) {
            if (targets[r] >= 0) {
                active[j++] = r;
            }
        }
        return active;
    }

    /** Full logits hidden[rows, dim] · Wᵀ → [rows, vocab] (inference; materialises every row). */
    public static Tensor logits(Var hidden, Var lmHead) {
        int vocab = lmHead.value().dim(0);
        int dim = lmHead.value().dim(1);
        int rows = rowsOf(hidden, dim, "lm_head");
        Tensor out = Tensor.zeros(rows, vocab);
        k().matmulNT(hidden.value(), 0, lmHead.value(), 0, out, 0, rows, vocab, dim, false);
        return out;
    }

    /** Logits [rows.length, vocab] of the selected rows of hidden[rows, dim] (inference; projects only those). */
    public static Tensor logits(Var hidden, Var lmHead, int[] rows) {
        int vocab = lmHead.value().dim(0);
        int dim = lmHead.value().dim(1);
        int available = rowsOf(hidden, dim, "lm_head");
        for (int r : rows) {
            if (r < 0 || r >= available) {
                throw new IllegalArgumentException("lm_head: row " + r + " is outside the " + available + " hidden rows");
            }
        }
        return chunkLogits(hidden.value(), lmHead.value(), rows, 0, rows.length, vocab, dim).logits();
    }

    /** The scalar Σ weights[i] · x[i] (x flattened); used to reduce per-token log-probs to a loss. */
    public static Var weightedSum(Tape tape, Var x, float[] weights) {
        int n = x.value().size();
        if (weights.length != n) {
            throw new IllegalArgumentException("weights has " + weights.length + " entries for " + n + " values");
        }
        float[] xs = x.value().data();
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += (double) weights[i] * xs[i];
        }
        Tensor out = Tensor.of(new float[] {(float) sum}, 1);
        Var result = output(tape, out, x);
        if (result.requiresGrad()) {
            tape.record(() -> {
                float g = result.grad().data()[0];
                float[] dx = x.grad().data();
                for (int i = 0; i < n; i++) {
                    dx[i] += weights[i] * g;
                }
            });
        }
        return result;
    }

    /**
     * A scalar loss whose value and parameter gradients were computed off this tape (e.g. summed from the backward
     * passes of other JVMs, each over its shard of a batch), joined to it: its value is {@code value}, and
     * back-propagating an upstream gradient g into it adds g · {@code gradients[i]} into the gradient of
     * {@code parameters[i]} (same size, flattened), as if the loss had been computed here from those parameters. The
     * parameters are taken as leaves: nothing recorded before them on this tape receives a gradient from it.
     *
     * @throws IllegalArgumentException when the lists differ in length or a gradient's size differs from its
     *                                  parameter's
     */
    public static Var externalLoss(Tape tape, double value, List<Var> parameters, List<float[]> gradients) {
        if (parameters.size() != gradients.size()) {
            throw new IllegalArgumentException(gradients.size() + " gradients for " + parameters.size()
                    + " parameters");
        }
        List<Var> params = List.copyOf(parameters);
        List<float[]> grads = List.copyOf(gradients);
        for (int i = 0; i < params.size(); i++) {
            if (grads.get(i).length != params.get(i).value().size()) {
                throw new IllegalArgumentException("gradient " + i + " has " + grads.get(i).length + " values for "
                        + params.get(i).value());
            }
        }
        Var result = output(tape, Tensor.of(new float[] {(float) value}, 1), params.toArray(Var[]::new));
        if (result.requiresGrad()) {
            tape.record(() -> {
                float g = result.grad().data()[0];
                for (int i = 0; i < params.size(); i++) {
                    Var p = params.get(i);
                    if (p.requiresGrad()) {
                        float[] dp = p.grad().data();
                        float[] d = grads.get(i);
                        for (int j = 0; j < d.length; j++) {
                            dp[j] += g * d[j];
                        }
                    }
                }
            });
        }
        return result;
    }

    private static int rowsOf(Var x, int width, String op) {
        int size = x.value().size();
        if (width <= 0 || size % width != 0) {
            throw new IllegalArgumentException(op + ": input " + x.value() + " is not a whole number of rows of width " + width);
        }
        return size / width;
    }

    private static void requireSameShape(Var a, Var b, String op) {
        if (!a.value().sameShape(b.value())) {
            throw new IllegalArgumentException(op + ": shapes differ, " + a.value() + " vs " + b.value());
        }
    }
}
