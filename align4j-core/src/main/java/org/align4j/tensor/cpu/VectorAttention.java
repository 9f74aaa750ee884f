package org.align4j.tensor.cpu;

import org.align4j.tensor.Parallel;

import java.util.Arrays;

/**
 * Vector causal attention, flash-style: forward keeps only the per-row log-sum-exp, backward recomputes the
 * probabilities p_j = exp(s_j − lse) from q and k.
 *
 * <p>Forward runs in parallel over (batch, head, block of query rows); every query row is computed whole by one
 * thread. Backward runs in parallel over (batch, kv head): the thread owning a kv head processes all the query heads
 * that read it, so it is the only writer of that head's dk, dv and of those query heads' dq.
 */
final class VectorAttention {
    /** Query rows per forward work unit. */
    private static final int QUERY_BLOCK = 32;

    private VectorAttention() {
    }

    /**
     * The attention geometry of one call, with the index arithmetic of the projection layout: k, v and the key mask
     * hold {@code kvRows} key rows per batch row (tk for training, the cache capacity for inference), of which the
     * first tk are read.
     */
    private record Shape(int batch, int tq, int tk, int kvRows, int nHeads, int nKvHeads, int headDim, float scale) {
        int group() {
            return nHeads / nKvHeads;
        }

        /** Offset of query (or output) row i of head h in batch b. */
        int queryRow(int b, int i, int h) {
            return ((b * tq + i) * nHeads + h) * headDim;
        }

        /** Offset of key (or value) row j of kv head g in batch b. */
        int keyRow(int b, int j, int g) {
            return ((b * kvRows + j) * nKvHeads + g) * headDim;
        }

        /** Elements between key (or value) rows j and j + 1 of one kv head. */
        int keyStride() {
            return nKvHeads * headDim;
        }

        /** Whether key j of batch b is padding. */
        boolean masked(int[] keyMask, int b, int j) {
            return keyMask != null && keyMask[b * kvRows + j] == 0;
        }

        int lseIndex(int b, int h, int i) {
            return (b * nHeads + h) * tq + i;
        }

        /** Query i sits at absolute position tk − tq + i and sees keys [0, that position]. */
        int visibleKeys(int i) {
            return tk - tq + i + 1;
        }
    }

    /**
     * The forward pass; k, v and keyMask hold {@code kvRows} key rows per batch row, and lse (null: not saved)
     * receives each query row's log-sum-exp.
     */
    static void forward(float[] q, float[] k, float[] v, float[] out, float[] lse, int[] keyMask, int batch, int tq,
                        int tk, int kvRows, int nHeads, int nKvHeads, int headDim, float scale) {
        KernelChecks.attentionShape(tq, tk, nHeads, nKvHeads);
        KernelChecks.cacheLength(tk, kvRows);
        Shape shape = new Shape(batch, tq, tk, kvRows, nHeads, nKvHeads, headDim, scale);
        int queryBlocks = (tq + QUERY_BLOCK - 1) / QUERY_BLOCK;
        long unitWork = (long) Math.min(tq, QUERY_BLOCK) * tk * headDim;
        Parallel.range(batch * nHeads * queryBlocks, VectorMath.rowGrain(unitWork), (u0, u1) -> {
            float[] scores = new float[tk];
            float[] acc = new float[headDim];
            for (int u = u0; u < u1; u++) {
                int block = u % queryBlocks;
                int h = u / queryBlocks % nHeads;
                int b = u / queryBlocks / nHeads;
                for (int i = block * QUERY_BLOCK; i < Math.min(tq, (block + 1) * QUERY_BLOCK); i++) {
                    forwardRow(shape, q, k, v, out, lse, keyMask, b, h, i, scores, acc);
                }
            }
        });
    }

    private static void forwardRow(Shape s, float[] q, float[] k, float[] v, float[] out, float[] lse, int[] keyMask,
                                   int b, int h, int i, float[] scores, float[] acc) {
        int kvHead = h / s.group();
        int qRow = s.queryRow(b, i, h);
        int visible = s.visibleKeys(i);
        float max = scaledScores(s, q, k, keyMask, b, kvHead, qRow, visible, scores);
        if (max == Float.NEGATIVE_INFINITY) {
            Arrays.fill(out, qRow, qRow + s.headDim(), 0f);
            if (lse != null) {
                lse[s.lseIndex(b, h, i)] = Float.NEGATIVE_INFINITY;
            }
            return;
        }
        VectorMath.expShiftedInPlace(scores, 0, visible, max);
        double sum = VectorMath.sum(scores, 0, visible);
        Arrays.fill(acc, 0f);
        VectorMath.weightedRowSum(scores, visible, v, s.keyRow(b, 0, kvHead), s.keyStride(), acc, 0, s.headDim());
        Arrays.fill(out, qRow, qRow + s.headDim(), 0f);
        VectorMath.axpy((float) (1 / sum), acc, 0, out, qRow, s.headDim());
        if (lse != null) {
            lse[s.lseIndex(b, h, i)] = (float) (max + Math.log(sum));
        }
    }

    /**
     * scores[j] = scale · q_row · k_j for the visible keys j &lt; visible, −∞ for padded keys; returns the maximum
     * (−∞ when no key is visible).
     */
    private static float scaledScores(Shape s, float[] q, float[] k, int[] keyMask, int b, int kvHead, int qRow,
                                      int visible, float[] scores) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < visible; j++) {
            if (s.masked(keyMask, b, j)) {
                scores[j] = Float.NEGATIVE_INFINITY;
            } else {
                scores[j] = s.scale() * VectorMath.dot(q, qRow, k, s.keyRow(b, j, kvHead), s.headDim());
                max = Math.max(max, scores[j]);
            }
        }
        return max;
    }

    static void backward(float[] dout, float[] q, float[] k, float[] v, float[] out, float[] lse, int[] keyMask,
                         float[] dq, float[] dk, float[] dv, int batch, int tq, int tk, int nHeads, int nKvHeads,
                         int headDim, float scale) {
        KernelChecks.attentionShape(tq, tk, nHeads, nKvHeads);
        Shape shape = new Shape(batch, tq, tk, tk, nHeads, nKvHeads, headDim, scale);
        long unitWork = (long) shape.group() * tq * tk * headDim;
        Parallel.range(batch * nKvHeads, VectorMath.rowGrain(unitWork), (u0, u1) -> {
            float[] probs = new float[tk];
            float[] dScores = new float[tk];
            float[] dqAcc = new float[headDim];
            for (int u = u0; u < u1; u++) {
                int b = u / nKvHeads;
                int kvHead = u % nKvHeads;
                for (int h = kvHead * shape.group(); h < (kvHead + 1) * shape.group(); h++) {
                    for (int i = 0; i < tq; i++) {
                        backwardRow(shape, dout, q, k, v, out, lse, keyMask, dq, dk, dv, b, h, i, probs, dScores,
                                dqAcc);
                    }
                }
            }
        });
    }

    /**
     * The gradient contributions of query row i of head h: with p_j = exp(s_j − lse), dP_j = dout · v_j and
     * D = dout · out (= Σ_j p_j dP_j), dS_j = p_j (dP_j − D); dq += scale Σ_j dS_j k_j, dk_j += scale dS_j q,
     * dv_j += p_j dout.
     */
    private static void backwardRow(Shape s, float[] dout, float[] q, float[] k, float[] v, float[] out, float[] lse,
                                    int[] keyMask, float[] dq, float[] dk, float[] dv, int b, int h, int i,
                                    float[] probs, float[] dScores, float[] dqAcc) {
        float rowLse = lse[s.lseIndex(b, h, i)];
        if (rowLse == Float.NEGATIVE_INFINITY) {
            return;
        }
        int kvHead = h / s.group();
        int qRow = s.queryRow(b, i, h);
        int visible = s.visibleKeys(i);
        int headDim = s.headDim();
        float rowDot = VectorMath.dot(dout, qRow, out, qRow, headDim);
        scaledScores(s, q, k, keyMask, b, kvHead, qRow, visible, probs);
        VectorMath.expShiftedInPlace(probs, 0, visible, rowLse);
        Arrays.fill(dqAcc, 0f);
        for (int j = 0; j < visible; j++) {
            float p = probs[j];
            if (p == 0f) {
                dScores[j] = 0f;
                continue;
            }
            int kvRow = s.keyRow(b, j, kvHead);
            float dScore = p * (VectorMath.dot(dout, qRow, v, kvRow, headDim) - rowDot);
            dScores[j] = dScore;
            VectorMath.axpy(s.scale() * dScore, q, qRow, dk, kvRow, headDim);
            VectorMath.axpy(p, dout, qRow, dv, kvRow, headDim);
        }
        VectorMath.weightedRowSum(dScores, visible, k, s.keyRow(b, 0, kvHead), s.keyStride(), dqAcc, 0, headDim);
        VectorMath.axpy(s.scale(), dqAcc, 0, dq, qRow, headDim);
    }
}
