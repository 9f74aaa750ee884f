package org.align4j.model;

import org.align4j.autograd.Var;
import org.align4j.tensor.Backend;
import org.align4j.tensor.Kernels;
import org.align4j.tensor.Tensor;

/**
 * The attention keys and values of every layer for the positions a model has processed so far, so that decoding
 * feeds only the new tokens (inference only: nothing flows back through the cache).
 *
 * <p>Each layer holds k and v as [batch, capacity, numKvHeads * headDim], the keys stored as attention reads them
 * (after Qwen3's k_norm and the rotary embedding, as transformers caches them), and one key mask [batch, capacity]
 * shared by the layers. The first {@link #length()} positions of each row are in use; a forward through
 * {@link CausalLM#hiddenStates(ModelInput, KvCache)} appends its tokens after them. A forward that fails part-way
 * leaves the cache unusable.
 */
public final class KvCache {
    private final int batch;
    private final int capacity;
    private final int nHeads;
    private final int nKvHeads;
    private final int headDim;
    private final Tensor[] keys;
    private final Tensor[] values;
    private final int[] keyMask;
    private final int[] layerLengths;

    /** An empty cache for {@code batch} rows of up to {@code capacity} positions each, shaped for {@code config}. */
    public KvCache(ModelConfig config, int batch, int capacity) {
        if (batch <= 0 || capacity <= 0) {
            throw new IllegalArgumentException("a KV cache needs a positive batch and capacity, got " + batch + " x "
                    + capacity);
        }
        this.batch = batch;
        this.capacity = capacity;
        this.nHeads = config.numHeads();
        this.nKvHeads = config.numKvHeads();
        this.headDim = config.headDim();
        int layers = config.numLayers();
        this.keys = new Tensor[layers];
        this.values = new Tensor[layers];
        for (int l = 0; l < layers; l++) {
            keys[l] = Tensor.zeros(batch, capacity, nKvHeads * headDim);
            values[l] = Tensor.zeros(batch, capacity, nKvHeads * headDim);
        }
        this.keyMask = new int[batch * capacity];
        this.layerLengths = new int[layers];
    }

    /** Rows of the batch. */
    public int batch() {
        return batch;
    }

    /** Positions each row can hold. */
    public int capacity() {
        return capacity;
    }

    /** Positions held (prompt and fed tokens, padding included) after the last completed forward. */
    public int length() {
        return layerLengths[layerLengths.length - 1];
    }

    /**
     * Appends the new keys and values of {@code layer} (k, v [batch * seq, numKvHeads * headDim] for the tokens of
     * {@code input}) and returns the attention of the new queries q [batch * seq, numHeads * headDim] over every
     * cached position: causal, padding keys (mask 0, earlier or new) excluded.
     */
    Var attend(int layer, Var q, Var k, Var v, ModelInput input, float scale) {
        int tq = input.seq();
        int start = layerLengths[layer];
        if (input.batch() != batch) {
            throw new IllegalArgumentException("input has " + input.batch() + " rows, the KV cache " + batch);
        }
        if (start + tq > capacity) {
            throw new IllegalArgumentException("the KV cache holds " + start + " of " + capacity
                    + " positions, no room for " + tq + " more");
        }
        int width = nKvHeads * headDim;
        if (k.value().size() != batch * tq * width || q.value().size() != batch * tq * nHeads * headDim) {
            throw new IllegalArgumentException("q " + q.value() + " and k " + k.value() + " do not fit a KV cache of "
                    + nHeads + " query heads, " + nKvHeads + " kv heads of width " + headDim);
        }
        Kernels kernels = Backend.kernels();
        kernels.copyColumns(k.value(), tq * width, 0, keys[layer], capacity * width, start * width, batch, tq * width,
                false);
        kernels.copyColumns(v.value(), tq * width, 0, values[layer], capacity * width, start * width, batch,
                tq * width, false);
        for (int b = 0; b < batch; b++) {
            System.arraycopy(input.attentionMask(), b * tq, keyMask, b * capacity + start, tq);
        }
        Tensor out = Tensor.zeros(batch * tq, nHeads * headDim);
        kernels.attentionForwardCached(q.value(), keys[layer], values[layer], out, keyMask, batch, tq, start + tq,
                capacity, nHeads, nKvHeads, headDim, scale);
        layerLengths[layer] = start + tq;
        return Var.constant(out);
    }
}
