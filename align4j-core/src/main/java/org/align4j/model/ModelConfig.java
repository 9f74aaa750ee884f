package org.align4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Optional;
import org.align4j.model.io.Dtype;

/**
 * The architecture fields of a Hugging Face {@code config.json}, read the way transformers reads them (same field
 * names, same defaults), normalised across GPT-2 and the Llama family. The original JSON is kept so that saving
 * writes the config back unchanged.
 *
 * @param modelType           HF {@code model_type}: gpt2, llama, qwen2 or qwen3
 * @param vocabSize           vocabulary size
 * @param hiddenSize          residual width
 * @param intermediateSize    MLP width
 * @param numLayers           transformer blocks
 * @param numHeads            query heads
 * @param numKvHeads          key/value heads (grouped-query attention when fewer than numHeads)
 * @param headDim             width of one head
 * @param maxPositions        max_position_embeddings / n_positions
 * @param normEps             rms_norm_eps / layer_norm_epsilon
 * @param activation          hidden_act / activation_function
 * @param tieWordEmbeddings   whether lm_head shares the token embedding
 * @param attentionBias       bias on q/k/v (and o for Llama's attention_bias)
 * @param outputBias          bias on the attention output projection
 * @param mlpBias             bias on the MLP projections
 * @param qkNorm              per-head RMSNorm on q and k (Qwen3)
 * @param rope                rotary embedding parameters (null for GPT-2)
 * @param scaleAttnByInverseLayerIdx GPT-2's extra 1/(layer+1) attention scaling
 * @param initializerRange    std of the normal initialisation
 * @param eosTokenIds         eos ids of config.json (may be empty)
 * @param json                the original config.json object
 */
public record ModelConfig(
        String modelType, int vocabSize, int hiddenSize, int intermediateSize, int numLayers, int numHeads,
        int numKvHeads, int headDim, int maxPositions, float normEps, String activation, boolean tieWordEmbeddings,
        boolean attentionBias, boolean outputBias, boolean mlpBias, boolean qkNorm, RopeParameters rope,
        boolean scaleAttnByInverseLayerIdx, double initializerRange, List<Integer> eosTokenIds, ObjectNode json) {

    /** The model types this build supports. */
    public static final List<String> SUPPORTED = List.of("gpt2", "llama", "qwen2", "qwen3");

    /** The config.json fields that record the weights' dtype: transformers 5 writes {@code dtype}, 4 {@code torch_dtype}. */
    private static final List<String> DTYPE_FIELDS = List.of("dtype", "torch_dtype");
    /** Valid torch dtype names a config may record that the engine does not store weights in (read as float32). */
    private static final List<String> OTHER_DTYPE_NAMES = List.of("float64", "auto");

    /**
     * The dtype of the model's weights as config.json records it ({@code dtype}, else {@code torch_dtype}:
     * float32, bfloat16 or float16), F32 when it records none or another. {@link HfModels#load} sets it to the
     * checkpoint's, and saving writes the tensors in it unless told otherwise.
     */
    public Dtype dtype() {
        for (String field : DTYPE_FIELDS) {
            JsonNode n = json.get(field);
            if (n != null && n.isTextual()) {
                Optional<Dtype> dtype = Dtype.fromTorchName(n.asText());
                if (dtype.isPresent()) {
                    return dtype.get();
                }
            }
        }
        return Dtype.F32;
    }

    /**
     * This config recording {@code dtype} (float-convertible) as its weights' dtype: in each of {@code dtype} and
     * {@code torch_dtype} that the JSON has, or in {@code torch_dtype} when it has neither.
     */
    public ModelConfig withDtype(Dtype dtype) {
        ObjectNode copy = json.deepCopy();
        boolean recorded = false;
        for (String field : DTYPE_FIELDS) {
            if (copy.has(field)) {
                copy.put(field, dtype.torchName());
                recorded = true;
            }
        }
        if (!recorded) {
            copy.put("torch_dtype", dtype.torchName());
        }
        return fromJson(copy, modelType + " config");
    }

    /** Whether this is the GPT-2 architecture (learned positions, LayerNorm, Conv1D weights). */
    public boolean isGpt2() {
        return modelType.equals("gpt2");
    }

    /**
     * Reads a config.json object. Errors (unknown model_type, missing or invalid field) are
     * {@link ModelException}s naming the field.
     */
    public static ModelConfig fromJson(ObjectNode json, String source) {
        String type = text(json, "model_type", null, source);
        ModelConfig config = switch (type) {
            case "gpt2" -> gpt2(json, source);
            case "llama", "qwen2", "qwen3" -> llamaFamily(type, json, source);
            default -> throw new ModelException(source + ": unknown model_type '" + type + "' (supported: "
                    + String.join(", ", SUPPORTED) + ")");
        };
        config.checkValues(source);
        return config;
    }

    /**
     * Refuses the values no model can have: a non-positive or non-finite norm epsilon or rope_theta, token ids that
     * are not non-negative integers (a pad id also below vocab_size; -1 means none), a dtype no checkpoint stores, and
     * a tensor too large for one array.
     */
    private void checkValues(String src) {
        String epsField = isGpt2() ? "layer_norm_epsilon" : "rms_norm_eps";
        if (!(normEps > 0) || !Float.isFinite(normEps)) {
            throw new ModelException(src + ": field '" + epsField + "' must be a positive number, got " + normEps);
        }
        if (rope != null && (!(rope.theta() > 0) || !Double.isFinite(rope.theta()))) {
            throw new ModelException(src + ": field 'rope_theta' must be a positive number, got " + rope.theta());
        }
        for (String field : List.of("eos_token_id", "bos_token_id", "pad_token_id")) {
            JsonNode n = json.get(field);
            for (JsonNode id : n == null || n.isNull() ? List.<JsonNode>of() : n.isArray() ? List.copyOf(
                    java.util.stream.StreamSupport.stream(n.spliterator(), false).toList()) : List.of(n)) {
                // pad_token_id -1 is an old "no pad token" convention some checkpoints keep. The pad id is fed to the
                // model, so it must be in the vocabulary; transformers' own small configs keep GPT-2's eos and bos
                // 50256 beside a smaller vocabulary, which only means generation never meets them
                boolean pad = field.equals("pad_token_id");
                boolean none = pad && id.isIntegralNumber() && id.asLong() == -1;
                if (!none && (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0
                        || pad && id.asInt() >= vocabSize)) {
                    throw new ModelException(src + ": field '" + field + "' must hold token ids (non-negative"
                            + " integers" + (pad ? " below vocab_size " + vocabSize : "") + "), got " + n);
                }
            }
        }
        for (String field : DTYPE_FIELDS) {
            JsonNode n = json.get(field);
            if (n != null && !n.isNull() && (!n.isTextual() || Dtype.fromTorchName(n.asText()).isEmpty()
                    && !OTHER_DTYPE_NAMES.contains(n.asText()))) {
                throw new ModelException(src + ": field '" + field + "' must name a torch dtype (float32, bfloat16,"
                        + " float16, float64, auto), got " + n);
            }
        }
        // the largest tensors of each kind: embeddings (and wpe), the fused or separate attention, the MLP
        long attention = isGpt2() ? 3L * hiddenSize : (long) (numHeads + 2 * numKvHeads) * headDim;
        long[][] largest = {{vocabSize, hiddenSize}, {isGpt2() ? maxPositions : 1, hiddenSize},
            {attention, hiddenSize}, {intermediateSize, hiddenSize}};
        for (long[] shape : largest) {
            if (shape[0] * shape[1] > Integer.MAX_VALUE - 8) {
                throw new ModelException(src + ": a " + shape[0] + " x " + shape[1] + " weight has more elements than"
                        + " one array holds (check vocab_size, hidden_size, intermediate_size and the head counts)");
            }
        }
    }

    private static ModelConfig gpt2(ObjectNode j, String src) {
        int hidden = integer(j, "n_embd", 768, src);
        int heads = integer(j, "n_head", 12, src);
        requireDivisible(hidden, heads, "n_embd", "n_head", src);
        JsonNode inner = j.get("n_inner");
        int intermediate = inner == null || inner.isNull() ? 4 * hidden : integer(j, "n_inner", 0, src);
        String act = text(j, "activation_function", "gelu_new", src);
        if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh")) {
            throw new ModelException(src + ": activation_function '" + act
                    + "' is not supported (supported: gelu_new, gelu_pytorch_tanh)");
        }
        if (!bool(j, "scale_attn_weights", true, src)) {
            throw new ModelException(src + ": scale_attn_weights false is not supported");
        }
        return new ModelConfig("gpt2", integer(j, "vocab_size", 50257, src), hidden, intermediate,
                integer(j, "n_layer", 12, src), heads, heads, hidden / heads, integer(j, "n_positions", 1024, src),
                (float) number(j, "layer_norm_epsilon", 1e-5, src), act, bool(j, "tie_word_embeddings", true, src),
                true, true, true, false, null, bool(j, "scale_attn_by_inverse_layer_idx", false, src),
                number(j, "initializer_range", 0.02, src), ids(j, "eos_token_id"), j);
    }

    private static ModelConfig llamaFamily(String type, ObjectNode j, String src) {
        int hidden = integer(j, "hidden_size", 4096, src);
        int heads = integer(j, "num_attention_heads", 32, src);
        JsonNode kvNode = j.get("num_key_value_heads");
        int kvHeads = kvNode == null || kvNode.isNull() ? heads : integer(j, "num_key_value_heads", heads, src);
        if (kvHeads <= 0 || heads % kvHeads != 0) {
            throw new ModelException(src + ": num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        JsonNode hd = j.get("head_dim");
        int headDim;
        if (hd == null || hd.isNull()) {
            requireDivisible(hidden, heads, "hidden_size", "num_attention_heads", src);
            headDim = type.equals("qwen3") ? 128 : hidden / heads;
        } else {
            headDim = integer(j, "head_dim", 0, src);
        }
        String act = text(j, "hidden_act", "silu", src);
        if (!act.equals("silu") && !act.equals("swish")) {
            throw new ModelException(src + ": hidden_act '" + act + "' is not supported (supported: silu)");
        }
        if (bool(j, "use_sliding_window", false, src)) {
            throw new ModelException(src + ": use_sliding_window true is not supported");
        }
        boolean qkvBias = switch (type) {
            case "qwen2" -> true;
            default -> bool(j, "attention_bias", false, src);
        };
        boolean outBias = !type.equals("qwen2") && qkvBias;
        int maxPos = integer(j, "max_position_embeddings", 2048, src);
        return new ModelConfig(type, integer(j, "vocab_size", 32000, src), hidden,
                integer(j, "intermediate_size", 11008, src), integer(j, "num_hidden_layers", 32, src), heads, kvHeads,
                headDim, maxPos, (float) number(j, "rms_norm_eps", 1e-6, src), act,
                bool(j, "tie_word_embeddings", false, src), qkvBias, outBias, bool(j, "mlp_bias", false, src),
                type.equals("qwen3"), RopeParameters.fromConfig(j, headDim, src), false,
                number(j, "initializer_range", 0.02, src), ids(j, "eos_token_id"), j);
    }

    private static void requireDivisible(int a, int b, String aName, String bName, String src) {
        if (b <= 0 || a % b != 0) {
            throw new ModelException(src + ": " + aName + " " + a + " is not a multiple of " + bName + " " + b);
        }
    }

    static String text(JsonNode j, String field, String dflt, String src) {
        JsonNode n = j.get(field);
        if (n == null || n.isNull()) {
            if (dflt == null) {
                throw new ModelException(src + ": missing field '" + field + "'");
            }
            return dflt;
        }
        if (!n.isTextual()) {
            throw new ModelException(src + ": field '" + field + "' must be a string, got " + n);
        }
        return n.asText();
    }

    static int integer(JsonNode j, String field, int dflt, String src) {
        JsonNode n = j.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() <= 0) {
            throw new ModelException(src + ": field '" + field + "' must be a positive integer, got " + n);
        }
        return n.asInt();
    }

    static double number(JsonNode j, String field, double dflt, String src) {
        JsonNode n = j.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isNumber()) {
            throw new ModelException(src + ": field '" + field + "' must be a number, got " + n);
        }
        return n.asDouble();
    }

    static boolean bool(JsonNode j, String field, boolean dflt, String src) {
        JsonNode n = j.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isBoolean()) {
            throw new ModelException(src + ": field '" + field + "' must be true or false, got " + n);
        }
        return n.asBoolean();
    }

    private static List<Integer> ids(JsonNode j, String field) {
        JsonNode n = j.get(field);
        if (n == null || n.isNull()) {
            return List.of();
        }
        if (n.isArray()) {
            return java.util.stream.StreamSupport.stream(n.spliterator(), false).map(JsonNode::asInt).toList();
        }
        return List.of(n.asInt());
    }
}
