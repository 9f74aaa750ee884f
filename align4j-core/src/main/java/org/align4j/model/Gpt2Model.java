package org.align4j.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.align4j.autograd.Checkpoint;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;

/**
 * GPT-2 ({@code GPT2LMHeadModel}; Radford et al. 2019): learned position embeddings, pre-LayerNorm blocks, fused
 * q/k/v projection {@code c_attn}, Conv1D weights stored [in, out], GELU (tanh) MLP, lm_head tied to {@code wte}.
 * Each block runs through {@link Checkpoint#checkpoint}, so a tape with gradient checkpointing recomputes it.
 */
public final class Gpt2Model implements CausalLM {
    /** The name prefix of layer {@code l}'s tensors is this, then {@code l.} */
    static final String LAYER_PREFIX = "transformer.h.";
    private final ModelConfig config;
    private final Map<String, Var> params;
    private final LinearAdapter adapter;

    /** A model over {@code params}, which must hold every name of {@link #parameterShapes}. */
    public Gpt2Model(ModelConfig config, Map<String, Var> params) {
        this(config, params, LinearAdapter.NONE);
    }

    /** A model over {@code params} whose linear modules pass through {@code adapter}. */
    public Gpt2Model(ModelConfig config, Map<String, Var> params, LinearAdapter adapter) {
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
        Map<String, int[]> s = new LinkedHashMap<>();
        s.put("transformer.wte.weight", new int[] {c.vocabSize(), d});
        s.put("transformer.wpe.weight", new int[] {c.maxPositions(), d});
        for (int l = 0; l < layers; l++) {
            String p = LAYER_PREFIX + l + ".";
            s.put(p + "ln_1.weight", new int[] {d});
            s.put(p + "ln_1.bias", new int[] {d});
            s.put(p + "attn.c_attn.weight", new int[] {d, 3 * d});
            s.put(p + "attn.c_attn.bias", new int[] {3 * d});
            s.put(p + "attn.c_proj.weight", new int[] {d, d});
            s.put(p + "attn.c_proj.bias", new int[] {d});
            s.put(p + "ln_2.weight", new int[] {d});
            s.put(p + "ln_2.bias", new int[] {d});
            s.put(p + "mlp.c_fc.weight", new int[] {d, c.intermediateSize()});
            s.put(p + "mlp.c_fc.bias", new int[] {c.intermediateSize()});
            s.put(p + "mlp.c_proj.weight", new int[] {c.intermediateSize(), d});
            s.put(p + "mlp.c_proj.bias", new int[] {d});
        }
        s.put("transformer.ln_f.weight", new int[] {d});
        s.put("transformer.ln_f.bias", new int[] {d});
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
        return params.get(config.tieWordEmbeddings() ? "transformer.wte.weight" : "lm_head.weight");
    }

    private Var p(String name) {
        return params.get(name);
    }

    /**
     * Conv1D module {@code module} (weight [in, out] and bias) on x, then the adapter, unless it replaces the module.
     */
    private Var conv1d(Tape tape, Var x, String module) {
        Var replaced = adapter.replace(tape, module, x);
        return replaced != null ? replaced
                : adapter.apply(tape, module, x, Ops.conv1d(tape, x, p(module + ".weight"), p(module + ".bias")));
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
        for (int pos : in.positionIds()) {
            if (pos >= config.maxPositions()) {
                throw new IllegalArgumentException("position " + pos + " exceeds n_positions " + config.maxPositions());
            }
        }
        Var tokens = Ops.embedding(tape, in.inputIds(), p("transformer.wte.weight"));
        Neftune.addNoise(tape, tokens, in.seq());
        Var h = Ops.add(tape, tokens, Ops.embedding(tape, in.positionIds(), p("transformer.wpe.weight")));
        for (int l = 0; l < config.numLayers(); l++) {
            int layer = l;
            h = Checkpoint.checkpoint(tape, h, (t, x) -> block(t, x, layer, in, cache));
        }
        return Ops.layerNorm(tape, h, p("transformer.ln_f.weight"), p("transformer.ln_f.bias"), config.normEps());
    }

    /** Block {@code l} ({@code GPT2Block}) on its input h. */
    private Var block(Tape tape, Var h, int l, ModelInput in, KvCache cache) {
        int d = config.hiddenSize();
        int nh = config.numHeads();
        int hd = config.headDim();
        float eps = config.normEps();
        String pre = LAYER_PREFIX + l + ".";
        float scale = (float) (1.0 / Math.sqrt(hd));
        if (config.scaleAttnByInverseLayerIdx()) {
            scale /= (l + 1);
        }
        Var a = Ops.layerNorm(tape, h, p(pre + "ln_1.weight"), p(pre + "ln_1.bias"), eps);
        Var qkv = conv1d(tape, a, pre + "attn.c_attn");
        Var[] split = Ops.splitColumns(tape, qkv, d, d, d);
        Var att = cache == null
                ? Ops.attention(tape, split[0], split[1], split[2], in.attentionMask(), in.batch(), in.seq(),
                        nh, nh, hd, scale)
                : cache.attend(l, split[0], split[1], split[2], in, scale);
        h = Ops.add(tape, h, conv1d(tape, att, pre + "attn.c_proj"));
        Var m = Ops.layerNorm(tape, h, p(pre + "ln_2.weight"), p(pre + "ln_2.bias"), eps);
        Var f = Ops.gelu(tape, conv1d(tape, m, pre + "mlp.c_fc"));
        return Ops.add(tape, h, conv1d(tape, f, pre + "mlp.c_proj"));
    }
}
