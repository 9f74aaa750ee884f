package org.align4j.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.align4j.autograd.Checkpoint;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.tensor.Tensor;

/**
 * The Llama family ({@code LlamaForCausalLM}, Touvron et al. 2023; {@code Qwen2ForCausalLM}; {@code Qwen3ForCausalLM}):
 * RMSNorm pre-norm blocks, rotary positions (default or Llama 3 scaled), grouped-query attention, SwiGLU MLP.
 * Qwen2 adds biases on q/k/v; Qwen3 adds per-head RMSNorm on q and k before the rotation. Each decoder layer runs
 * through {@link Checkpoint#checkpoint}, so a tape with gradient checkpointing recomputes it.
 */
public final class LlamaModel implements CausalLM {
    /** The name prefix of layer {@code l}'s tensors is this, then {@code l.} */
    static final String LAYER_PREFIX = "model.layers.";
    private static final int FIRST_ROPE_POSITIONS = 256;
    private final ModelConfig config;
    private final Map<String, Var> params;
    private final LinearAdapter adapter;
    private Tensor cos;
    private Tensor sin;

    /** A model over {@code params}, which must hold every name of {@link #parameterShapes}. */
    public LlamaModel(ModelConfig config, Map<String, Var> params) {
        this(config, params, LinearAdapter.NONE);
    }

    /** A model over {@code params} whose linear modules pass through {@code adapter}. */
    public LlamaModel(ModelConfig config, Map<String, Var> params, LinearAdapter adapter) {
        this.config = config;
        this.params = params;
        this.adapter = adapter;
    }

    /** Names and shapes of the parameters, as in a transformers checkpoint. */
    public static Map<String, int[]> parameterShapes(ModelConfig c) {
        return parameterShapes(c, c.numLayers());
    }

    /** {@link #parameterShapes(ModelConfig)} as if the model had {@code layers} layers. */
    static Map<String, int[]> parameterShapes(ModelConfig c, int layers) {
        int d = c.hiddenSize();
        int q = c.numHeads() * c.headDim();
        int kv = c.numKvHeads() * c.headDim();
        int ff = c.intermediateSize();
        Map<String, int[]> s = new LinkedHashMap<>();
        s.put("model.embed_tokens.weight", new int[] {c.vocabSize(), d});
        for (int l = 0; l < layers; l++) {
            String p = LAYER_PREFIX + l + ".";
            s.put(p + "input_layernorm.weight", new int[] {d});
            s.put(p + "self_attn.q_proj.weight", new int[] {q, d});
            s.put(p + "self_attn.k_proj.weight", new int[] {kv, d});
            s.put(p + "self_attn.v_proj.weight", new int[] {kv, d});
            if (c.attentionBias()) {
                s.put(p + "self_attn.q_proj.bias", new int[] {q});
                s.put(p + "self_attn.k_proj.bias", new int[] {kv});
                s.put(p + "self_attn.v_proj.bias", new int[] {kv});
            }
            if (c.qkNorm()) {
                s.put(p + "self_attn.q_norm.weight", new int[] {c.headDim()});
                s.put(p + "self_attn.k_norm.weight", new int[] {c.headDim()});
            }
            s.put(p + "self_attn.o_proj.weight", new int[] {d, q});
            if (c.outputBias()) {
                s.put(p + "self_attn.o_proj.bias", new int[] {d});
            }
            s.put(p + "post_attention_layernorm.weight", new int[] {d});
            s.put(p + "mlp.gate_proj.weight", new int[] {ff, d});
            s.put(p + "mlp.up_proj.weight", new int[] {ff, d});
            s.put(p + "mlp.down_proj.weight", new int[] {d, ff});
            if (c.mlpBias()) {
                s.put(p + "mlp.gate_proj.bias", new int[] {ff});
                s.put(p + "mlp.up_proj.bias", new int[] {ff});
                s.put(p + "mlp.down_proj.bias", new int[] {d});
            }
        }
        s.put("model.norm.weight", new int[] {d});
        if (!c.tieWordEmbeddings()) {
            s.put("lm_head.weight", new int[] {c.vocabSize(), d});
        }
        return s;
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public Map<String, Var> parameters() {
        return params;
    }

    @Override
    public Var lmHead() {
        return params.get(config.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight");
    }

    private Var p(String name) {
        return params.get(name);
    }

    /**
     * Linear module {@code module} (weight [out, in], bias when the config has one) on x, then the adapter, unless it
     * replaces the module.
     */
    private Var linear(Tape tape, Var x, String module) {
        Var replaced = adapter.replace(tape, module, x);
        return replaced != null ? replaced
                : adapter.apply(tape, module, x, Ops.linear(tape, x, p(module + ".weight"), p(module + ".bias")));
    }

    /**
     * The rotary tables, grown (doubling, from {@value #FIRST_ROPE_POSITIONS} positions) to cover {@code maxPosition}:
     * sized by the positions used, not by {@code max_position_embeddings}, which may be far larger (or absurd).
     */
    private synchronized Tensor[] ropeTables(int maxPosition) {
        if (cos == null || cos.dim(0) <= maxPosition) {
            long grown = Math.max(cos == null ? FIRST_ROPE_POSITIONS : 2L * cos.dim(0), maxPosition + 1L);
            Tensor[] t = config.rope().tables((int) Math.min(grown, Integer.MAX_VALUE - 8));
            cos = t[0];
            sin = t[1];
        }
        return new Tensor[] {cos, sin};
    }

    @Override
    public Var hiddenStates(Tape tape, ModelInput in) {
        return forward(tape, in, null);
    }

    @Override
    public Var hiddenStates(ModelInput in, KvCache cache) {
        return forward(Tape.inference(), in, Objects.requireNonNull(cache, "cache"));
    }

    /** The forward pass; with a cache, attention reads and extends it instead of seeing {@code in} alone. */
    private Var forward(Tape tape, ModelInput in, KvCache cache) {
        int maxPos = 0;
        for (int pos : in.positionIds()) {
            if (pos < 0) {
                throw new IllegalArgumentException("negative position id " + pos);
            }
            maxPos = Math.max(maxPos, pos);
        }
        Tensor[] rope = ropeTables(maxPos);
        Var h = Ops.embedding(tape, in.inputIds(), p("model.embed_tokens.weight"));
        Neftune.addNoise(tape, h, in.seq());
        for (int l = 0; l < config.numLayers(); l++) {
            int layer = l;
            h = Checkpoint.checkpoint(tape, h, (t, x) -> block(t, x, layer, in, cache, rope));
        }
        return Ops.rmsNorm(tape, h, p("model.norm.weight"), config.normEps());
    }

    /** Decoder layer {@code l} ({@code LlamaDecoderLayer}) on its input h, with the rotary tables {@code rope}. */
    private Var block(Tape tape, Var h, int l, ModelInput in, KvCache cache, Tensor[] rope) {
        int nh = config.numHeads();
        int nkv = config.numKvHeads();
        int hd = config.headDim();
        float eps = config.normEps();
        float scale = (float) (1.0 / Math.sqrt(hd));
        String pre = LAYER_PREFIX + l + ".";
        String at = pre + "self_attn.";
        Var a = Ops.rmsNorm(tape, h, p(pre + "input_layernorm.weight"), eps);
        Var q = linear(tape, a, at + "q_proj");
        Var k = linear(tape, a, at + "k_proj");
        Var v = linear(tape, a, at + "v_proj");
        if (config.qkNorm()) {
            q = Ops.rmsNorm(tape, q, p(at + "q_norm.weight"), eps);
            k = Ops.rmsNorm(tape, k, p(at + "k_norm.weight"), eps);
        }
        q = Ops.rope(tape, q, in.positionIds(), rope[0], rope[1], nh, hd);
        k = Ops.rope(tape, k, in.positionIds(), rope[0], rope[1], nkv, hd);
        Var att = cache == null
                ? Ops.attention(tape, q, k, v, in.attentionMask(), in.batch(), in.seq(), nh, nkv, hd, scale)
                : cache.attend(l, q, k, v, in, scale);
        h = Ops.add(tape, h, linear(tape, att, at + "o_proj"));
        String mp = pre + "mlp.";
        Var m = Ops.rmsNorm(tape, h, p(pre + "post_attention_layernorm.weight"), eps);
        Var gate = linear(tape, m, mp + "gate_proj");
        Var up = linear(tape, m, mp + "up_proj");
        return Ops.add(tape, h, linear(tape, Ops.swiglu(tape, gate, up), mp + "down_proj"));
    }
}
