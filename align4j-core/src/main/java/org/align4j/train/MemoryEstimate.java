package org.align4j.train;

import org.align4j.autograd.Ops;
import org.align4j.model.ModelConfig;
import org.align4j.model.Models;
import org.align4j.model.OutOfHeapError;

/**
 * An estimate, not a measurement, of the Java heap a run needs, in four parts. It is derived from how this engine
 * stores things, not measured:
 *
 * <ul>
 *   <li>weights: every parameter as a float32 (4 bytes), whatever the checkpoint's dtype, since the engine widens
 *       BF16 and F16 on loading; frozen weights (the base under adapters, a model that only generates) as stored:
 *       2 bytes in bfloat16 ({@code --torch-dtype}), the few norm and bias vectors counted so too;</li>
 *   <li>training state: per trainable parameter, its float32 gradient and the optimizer's buffers: AdamW's m and v
 *       (3 floats, 12 bytes), SGD's momentum buffer (2 floats at most), nothing for MeZO (no gradients);</li>
 *   <li>reference: a frozen copy of the weights, float32 or bfloat16 (DPO or PPO without adapters or precomputed
 *       log-probs);</li>
 *   <li>activations: what the autograd tape keeps for backward, counted from the forward passes of
 *       {@code LlamaModel} and {@code Gpt2Model}, where every op's output is a new float32 tensor that its backward
 *       step holds (see {@link #activationFloatsPerToken}); times the tokens of a micro-batch (sequences x length)
 *       and the layers, plus one layer more for the gradients in flight at the start of backward, plus the fused
 *       lm_head's logits and their gradient, one chunk of at most {@value #LM_HEAD_CHUNK_FLOATS} floats each. With
 *       {@code gradient_checkpointing} the tape keeps each block's output (hidden size floats per token) instead,
 *       and the backward pass holds one recomputed block and its gradients: two layers' worth. Attention keeps no [T, T] matrix (it is flash-style), so this is linear in the
 *       sequence length. LoRA's own rank-sized intermediates and dropout copies are not counted. For MeZO and for
 *       inference nothing is kept, so one layer's outputs at a time are counted; generation adds its KV cache.</li>
 * </ul>
 *
 * <p>The JVM needs headroom above this (garbage in flight, the young generation), so a heap of about 1.3x
 * {@link #totalBytes} is a reasonable start.
 *
 * @param weightBytes        the model's parameters as float32
 * @param trainingStateBytes gradients and optimizer state of the trainable parameters
 * @param referenceBytes     a frozen reference copy of the weights (0: none)
 * @param activationBytes    activations kept for backward, or the KV cache and one layer's outputs of inference
 */
public record MemoryEstimate(long weightBytes, long trainingStateBytes, long referenceBytes, long activationBytes) {
    /** The most floats of one chunk of the fused lm_head's logits. */
    static final long LM_HEAD_CHUNK_FLOATS = Ops.LOGITS_CHUNK_ELEMENTS;

    /** Total bytes. */
    public long totalBytes() {
        return weightBytes + trainingStateBytes + referenceBytes + activationBytes;
    }

    /**
     * The float32 values one token's forward keeps in each transformer block, from the models' forward code. Llama
     * family (d hidden, q = heads x head_dim, kv = kv_heads x head_dim, f intermediate): input norm d, q/k/v
     * projections q + 2kv, rotated q and k q + kv (Qwen3's q/k norms another q + kv), attention output q, o_proj d,
     * residual d, post-attention norm d, gate, up and SwiGLU 3f, down_proj d, residual d: 6d + 3q + 3kv + 3f. GPT-2:
     * ln_1 d, c_attn 3d, its split 3d, attention d, c_proj d, residual d, ln_2 d, c_fc f, GELU f, c_proj d, residual
     * d: 13d + 2f.
     */
    public static long activationFloatsPerToken(ModelConfig config) {
        long d = config.hiddenSize();
        long f = config.intermediateSize();
        if (config.isGpt2()) {
            return 13 * d + 2 * f;
        }
        long q = (long) config.numHeads() * config.headDim();
        long kv = (long) config.numKvHeads() * config.headDim();
        long perLayer = 6 * d + 3 * q + 3 * kv + 3 * f;
        return config.qkNorm() ? perLayer + q + kv : perLayer;
    }

    /** Floats per token outside the blocks: embeddings (GPT-2: token, position and their sum) and the final norm. */
    private static long outsideFloatsPerToken(ModelConfig config) {
        return (config.isGpt2() ? 4L : 2L) * config.hiddenSize();
    }

    /** Floats of gradient and optimizer state per trainable parameter for {@code optim} (a TrainingArguments name). */
    public static int stateFloatsPerParameter(String optim) {
        return switch (optim) {
            case AdamW.NAME -> 3;
            case Sgd.NAME -> 2;
            case MeZo.NAME -> 0;
            default -> throw new IllegalArgumentException("optim '" + optim + "' is not supported");
        };
    }

    /**
     * The estimate for training {@code config}'s model with {@code args} (its {@code optim},
     * {@code gradient_checkpointing} and {@code per_device_train_batch_size}).
     *
     * @param trainableParameters the parameters the optimizer updates (all of them, or a LoRA adapter's)
     * @param referenceCopy       whether a frozen copy of the weights is held as well
     * @param frozenBytes         bytes per frozen weight: 4 (float32) or 2 (bfloat16); the model's own weights are
     *                            frozen when fewer parameters than it has are trained (adapters)
     * @param sequencesPerExample rows of a micro-batch per example (DPO: two per pair, chosen and rejected)
     * @param seqLength           tokens per row (the longest, padded to)
     */
    public static MemoryEstimate training(ModelConfig config, TrainingArguments args, long trainableParameters,
                                          boolean referenceCopy, int frozenBytes, long sequencesPerExample,
                                          long seqLength) {
        long parameters = Models.parameterCount(config);
        long weights = (trainableParameters < parameters ? frozenBytes : 4) * parameters;
        long state = 4L * stateFloatsPerParameter(args.optimizer()) * trainableParameters;
        long tokens = sequencesPerExample * args.perDeviceTrainBatchSize() * seqLength;
        long perLayer = activationFloatsPerToken(config);
        long layers = config.numLayers();
        long kept = args.optim().equals(MeZo.NAME) ? perLayer
                : args.gradientCheckpointing() ? layers * config.hiddenSize() + 2 * perLayer
                        + outsideFloatsPerToken(config)
                : perLayer * (layers + 1) + outsideFloatsPerToken(config);
        long activations = 4 * (tokens * kept + lmHeadFloats(config, tokens));
        return new MemoryEstimate(weights, state, referenceCopy ? frozenBytes * parameters : 0, activations);
    }

    /**
     * The estimate for generating with {@code config}'s model: the weights, the KV cache of {@code batch} rows of
     * {@code positions} (prompt and new tokens: a key and a value of kv_heads x head_dim per layer) and one layer's
     * outputs over the prompts; {@code frozenBytes} per weight (4 for float32, 2 for bfloat16).
     */
    public static MemoryEstimate generation(ModelConfig config, int frozenBytes, long batch, long positions) {
        long kvCache = 2L * config.numLayers() * config.numKvHeads() * config.headDim() * batch * positions;
        long activations = 4 * (kvCache + batch * positions * activationFloatsPerToken(config)
                + lmHeadFloats(config, batch));
        return new MemoryEstimate(frozenBytes * Models.parameterCount(config), 0, 0, activations);
    }

    /** A chunk of logits for {@code rows} rows (as many as fit in one chunk) and its gradient. */
    private static long lmHeadFloats(ModelConfig config, long rows) {
        return 2 * Math.min(rows * config.vocabSize(), LM_HEAD_CHUNK_FLOATS);
    }

    /** E.g. "about 2.3 GiB (weights 0.5 GiB, gradients and optimizer state 1.5 GiB, activations 0.3 GiB)". */
    public String describe() {
        StringBuilder s = new StringBuilder("about ").append(OutOfHeapError.size(totalBytes())).append(" (weights ")
                .append(OutOfHeapError.size(weightBytes));
        if (trainingStateBytes > 0) {
            s.append(", gradients and optimizer state ").append(OutOfHeapError.size(trainingStateBytes));
        }
        if (referenceBytes > 0) {
            s.append(", reference model ").append(OutOfHeapError.size(referenceBytes));
        }
        return s.append(", activations ").append(OutOfHeapError.size(activationBytes)).append(')').toString();
    }
}
