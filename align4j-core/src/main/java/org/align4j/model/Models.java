package org.align4j.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.align4j.autograd.Var;
import org.align4j.model.io.Dtype;
import org.align4j.tensor.Tensor;

/** Builds a {@link CausalLM} of the architecture a {@link ModelConfig} names, from given or random weights. */
public final class Models {
    private Models() {
    }

    /** Parameter names and shapes of the configured architecture, in checkpoint order. */
    public static Map<String, int[]> parameterShapes(ModelConfig config) {
        return config.isGpt2() ? Gpt2Model.parameterShapes(config) : LlamaModel.parameterShapes(config);
    }

    /**
     * The number of parameters of the configured architecture (tied weights once), counted from one layer's shapes
     * (every layer has the same), so that a huge {@code num_hidden_layers} costs nothing to count.
     */
    public static long parameterCount(ModelConfig config) {
        long outside = count(parameterShapes(config, 0));
        long perLayer = count(parameterShapes(config, 1)) - outside;
        return outside + perLayer * config.numLayers();
    }

    private static Map<String, int[]> parameterShapes(ModelConfig config, int layers) {
        return config.isGpt2() ? Gpt2Model.parameterShapes(config, layers) : LlamaModel.parameterShapes(config, layers);
    }

    private static long count(Map<String, int[]> shapes) {
        long count = 0;
        for (int[] shape : shapes.values()) {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            count += n;
        }
        return count;
    }

    /** E.g. "(124.4M parameters, 475 MiB as float32)". */
    private static String sizeOf(Map<String, int[]> shapes) {
        long n = count(shapes);
        return String.format(Locale.ROOT, "(%.1fM parameters, %s as float32)", n / 1e6, OutOfHeapError.size(4 * n));
    }

    /**
     * The parameters of the configured architecture without {@code lm_head.weight}: the backbone that a
     * {@code *ForSequenceClassification} model shares with the causal LM (its own head replaces the lm_head). With tied
     * embeddings this is {@link #parameterShapes} itself.
     */
    public static Map<String, int[]> backboneParameterShapes(ModelConfig config) {
        Map<String, int[]> shapes = parameterShapes(config);
        shapes.remove("lm_head.weight");
        return shapes;
    }

    /**
     * Checks, before any weight is allocated or read, that a checkpoint's tensor {@code names} hold every layer its
     * config asks for: a layer count far beyond the checkpoint's (a config edited by hand, or the wrong one) would
     * otherwise read layer after layer before failing at the first one missing.
     *
     * @throws ModelException naming {@code where}, the config field and the layers the checkpoint holds
     */
    public static void requireLayers(ModelConfig config, Set<String> names, String where) {
        String prefix = config.isGpt2() ? Gpt2Model.LAYER_PREFIX : LlamaModel.LAYER_PREFIX;
        int held = 0;
        for (String name : names) {
            int end = name.indexOf('.', prefix.length());
            if (name.startsWith(prefix) && end > prefix.length()) {
                try {
                    held = Math.max(held, Integer.parseInt(name, prefix.length(), end, 10) + 1);
                } catch (NumberFormatException notALayerIndex) {
                    // another tensor under the prefix: not a layer of its own
                }
            }
        }
        if (config.numLayers() > held) {
            throw new ModelException(where + ": config.json's " + (config.isGpt2() ? "n_layer" : "num_hidden_layers")
                    + " is " + config.numLayers() + " but the checkpoint holds " + held + " layers ("
                    + (held == 0 ? "no tensor named " + prefix + "N.*" : prefix + "0 to " + prefix + (held - 1))
                    + ")");
        }
    }

    /**
     * A model whose tensors come from {@code source} (name → tensor, or null when absent). A missing tensor or one of
     * the wrong shape is a {@link ModelException} naming it; {@code where} names the checkpoint in messages.
     */
    public static CausalLM create(ModelConfig config, Function<String, Tensor> source, String where) {
        return wrap(config, parameters(parameterShapes(config), source, where));
    }

    /**
     * The backbone of {@link #backboneParameterShapes} from {@code source}, as {@link #create} reads it: a model for
     * {@link CausalLM#hiddenStates} only, whose {@link CausalLM#lmHead} is null unless the embeddings are tied. A
     * {@code lm_head.weight} in {@code source} is ignored.
     */
    public static CausalLM createBackbone(ModelConfig config, Function<String, Tensor> source, String where) {
        return wrap(config, parameters(backboneParameterShapes(config), source, where));
    }

    /**
     * The parameters of {@code shapes} read from {@code source}; running out of heap is an {@link OutOfHeapError}
     * saying so (thrown once the partly read tensors are garbage).
     */
    private static Map<String, Var> parameters(Map<String, int[]> shapes, Function<String, Tensor> source,
                                               String where) {
        try {
            return read(shapes, source, where);
        } catch (OutOfMemoryError e) {
            throw OutOfHeapError.of("loading the weights of " + where + " " + sizeOf(shapes), e);
        }
    }

    private static Map<String, Var> read(Map<String, int[]> shapes, Function<String, Tensor> source, String where) {
        Map<String, Var> params = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            Tensor t = source.apply(e.getKey());
            if (t == null) {
                throw new ModelException(where + ": missing tensor '" + e.getKey() + "'");
            }
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new ModelException(where + ": tensor '" + e.getKey() + "' has shape " + Arrays.toString(t.shape())
                        + ", config.json implies " + Arrays.toString(e.getValue()));
            }
            params.put(e.getKey(), new Var(t, true));
        }
        return params;
    }

    /**
     * A randomly initialised model as transformers initialises one: weights ~ N(0, initializer_range), biases 0,
     * norm weights 1 (GPT-2 also scales its residual projections by 1/sqrt(2 n_layer)). Deterministic in the seed.
     * Running out of heap is an {@link OutOfHeapError} saying so.
     */
    public static CausalLM randomInit(ModelConfig config, long seed) {
        try {
            return wrap(config, randomParameters(config, seed));
        } catch (OutOfMemoryError e) {
            throw OutOfHeapError.of("allocating the parameters of a random " + config.modelType() + " model "
                    + sizeOf(parameterShapes(config)), e);
        }
    }

    private static Map<String, Var> randomParameters(ModelConfig config, long seed) {
        SplittableRandom root = new SplittableRandom(seed);
        Map<String, Var> params = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : parameterShapes(config).entrySet()) {
            String name = e.getKey();
            Tensor t = Tensor.zeros(e.getValue());
            SplittableRandom rng = root.split();
            boolean norm = name.contains("norm") || name.contains("ln_");
            if (norm && name.endsWith(".weight")) {
                Arrays.fill(t.data(), 1f);
            } else if (!name.endsWith(".bias")) {
                double std = config.initializerRange();
                if (config.isGpt2() && name.endsWith("c_proj.weight")) {
                    std /= Math.sqrt(2.0 * config.numLayers());
                }
                float[] d = t.data();
                for (int i = 0; i < d.length; i++) {
                    d[i] = (float) (gaussian(rng) * std);
                }
            }
            params.put(name, new Var(t, true));
        }
        return params;
    }

    private static CausalLM wrap(ModelConfig config, Map<String, Var> params) {
        return wrap(config, params, LinearAdapter.NONE);
    }

    private static CausalLM wrap(ModelConfig config, Map<String, Var> params, LinearAdapter adapter) {
        Map<String, Var> view = java.util.Collections.unmodifiableMap(params);
        return config.isGpt2() ? new Gpt2Model(config, view, adapter) : new LlamaModel(config, view, adapter);
    }

    /**
     * The linear modules of the configured architecture's blocks, in forward order: the matrices of the blocks are
     * exactly these modules' weights, GPT-2's {@code Conv1D}s (c_attn, attn.c_proj, c_fc, mlp.c_proj) stored
     * [in, out] and the Llama family's {@code nn.Linear}s (q/k/v/o_proj, gate/up/down_proj) stored [out, in]. The
     * embeddings and the lm_head are not among them.
     */
    public static List<LinearModule> linearModules(ModelConfig config) {
        String blocks = config.isGpt2() ? "transformer.h." : "model.layers.";
        List<LinearModule> modules = new ArrayList<>();
        for (Map.Entry<String, int[]> e : parameterShapes(config).entrySet()) {
            String name = e.getKey();
            int[] shape = e.getValue();
            if (name.startsWith(blocks) && name.endsWith(".weight") && shape.length == 2) {
                String module = name.substring(0, name.length() - ".weight".length());
                modules.add(config.isGpt2() ? new LinearModule(module, shape[0], shape[1], true)
                        : new LinearModule(module, shape[1], shape[0], false));
            }
        }
        return modules;
    }

    /**
     * The architecture of {@code model} over the same tensors (shared, not copied) with every parameter frozen
     * (requiresGrad false) and {@code adapter} joining each linear module: the frozen base of an adapted model such
     * as LoRA's. A backbone ({@link #createBackbone}, no lm_head) stays one.
     *
     * @throws IllegalArgumentException when {@code model} lacks a parameter of its architecture (it is itself an
     *                                  adapted model, say)
     */
    public static CausalLM frozenWithAdapter(CausalLM model, LinearAdapter adapter) {
        Map<String, Var> params = new LinkedHashMap<>();
        Map<String, int[]> shapes = model.lmHead() != null ? parameterShapes(model.config())
                : backboneParameterShapes(model.config());
        for (String name : shapes.keySet()) {
            Var v = model.parameters().get(name);
            if (v == null) {
                throw new IllegalArgumentException("the model has no parameter '" + name + "' of its "
                        + model.config().modelType() + " architecture");
            }
            params.put(name, new Var(v.value(), false));
        }
        return wrap(model.config(), params, adapter);
    }

    /**
     * A frozen copy of {@code model}'s architecture parameters (no parameter takes a gradient, no storage is shared),
     * its weight matrices ({@link #isWeightMatrix}: the linear modules, the embeddings, the lm_head) stored in
     * {@code storage}: {@link Dtype#F32}, or {@link Dtype#BF16}, half the memory, rounded to the nearest bfloat16 as
     * PyTorch's {@code .to(torch.bfloat16)}. The vectors (norm weights, biases) stay float32: they weigh little, and
     * the kernels read them as float32. Matmul and embedding widen bfloat16 weights back to float32 as they load them,
     * so activations and gradients stay float32.
     *
     * @throws IllegalArgumentException for another storage dtype, or when {@code model} lacks a parameter of its
     *                                  architecture
     */
    public static CausalLM frozenCopy(CausalLM model, Dtype storage) {
        checkFrozenStorage(storage);
        Map<String, Tensor> copies = new LinkedHashMap<>();
        frozenWithAdapter(model, LinearAdapter.NONE).parameters().forEach((name, v) -> copies.put(name,
                storage == Dtype.BF16 && isWeightMatrix(v.value().shape()) ? v.value().toBfloat16()
                        : v.value().toFloat32()));
        return frozenWithAdapter(create(model.config(), copies::get, "frozen copy"), LinearAdapter.NONE);
    }

    /** Whether a parameter of this shape is a weight matrix, stored in a frozen model's storage dtype. */
    public static boolean isWeightMatrix(int[] shape) {
        return shape.length == 2;
    }

    /**
     * Checks that {@code storage} can hold frozen weights ({@link Dtype#F32} or {@link Dtype#BF16}).
     *
     * @throws IllegalArgumentException otherwise
     */
    public static void checkFrozenStorage(Dtype storage) {
        if (storage != Dtype.F32 && storage != Dtype.BF16) {
            throw new IllegalArgumentException("frozen weights are stored as float32 or bfloat16, not " + storage);
        }
    }

    /**
     * The configured architecture over {@code params} as given (the {@link Var}s shared, trainable or not) with
     * {@code adapter} joining each linear module. {@code params} may lack the weights and biases of the modules the
     * adapter {@link LinearAdapter#replace replaces}, as a model whose linear modules are packed does; every other
     * parameter of {@link #parameterShapes} must be there.
     */
    public static CausalLM withAdapter(ModelConfig config, Map<String, Var> params, LinearAdapter adapter) {
        return wrap(config, new LinkedHashMap<>(params), adapter);
    }

    /** A standard normal sample from the given stream (the JDK's ziggurat sampler). */
    public static double gaussian(SplittableRandom rng) {
        return rng.nextGaussian();
    }
}
