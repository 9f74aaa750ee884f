package org.align4j.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.DelegatingCausalLM;
import org.align4j.model.HfModels;
import org.align4j.model.LinearModule;
import org.align4j.model.ModelException;
import org.align4j.model.Models;
import org.align4j.model.io.Dtype;
import org.align4j.model.io.SafeTensors;
import org.align4j.model.io.SafeTensorsWriter;
import org.align4j.tensor.Backend;
import org.align4j.tensor.Tensor;
import org.align4j.model.io.AtomicDirectory;

/**
 * LoRA (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models") on a {@link CausalLM}, as PEFT's
 * {@code get_peft_model} applies it: each chosen linear module computes h = W₀x + (α/r) B A x (eq. 3), its base
 * weight W₀ frozen, only A [r, in] and B [out, r] trained.
 *
 * <p>The modules are those of {@link Models#linearModules} that the config's {@link TargetModules} choose. GPT-2's
 * Conv1D modules are adapted as PEFT adapts them with {@code fan_in_fan_out}: the same A and B shapes, only the base
 * weight being stored [in, out]. A new adapter is initialised as PEFT's default ({@code init_lora_weights=True}):
 * A kaiming-uniform with a = sqrt(5), that is U(−1/sqrt(in), 1/sqrt(in)), and B = 0, so that it leaves the model's
 * output unchanged. With {@code lora_dropout} > 0 each adapter's input passes through dropout in forwards that record
 * a tape (training); an inference tape (evaluation, a reference model, generation) sees none. A block recomputed by
 * gradient checkpointing applies the masks its forward drew ({@link Tape#seed}).
 *
 * <p>As a {@link CausalLM} this is the adapted model. Its {@link #parameters()} are the adapters' A and B only,
 * named as PEFT saves them ({@code base_model.model.<module>.lora_A.weight}), so that an optimizer over them trains
 * only the adapters; the base parameters, the lm_head included, are frozen (requiresGrad false) and share their
 * storage with the model the adapters were put on. {@link #disableAdapter()} runs the same model without its adapters
 * (PEFT's {@code disable_adapter()}), e.g. as the DPO reference, with one model in memory. {@link #save} writes PEFT's
 * {@value #CONFIG_FILE} and {@value #WEIGHTS_FILE}, {@link #load} reads them back onto a base model, and
 * {@link #merged} folds the adapters into the weights (PEFT's {@code merge_and_unload}); a full checkpoint of the
 * adapted model is {@code HfModels.save(lora.merged(), ...)}, not {@code HfModels.save(lora, ...)}, which would see
 * only the adapters' parameters.
 */
public final class LoraModel extends DelegatingCausalLM {
    /** PEFT's adapter configuration file. */
    public static final String CONFIG_FILE = "adapter_config.json";
    /** PEFT's adapter weights file. */
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    /** The prefix PEFT puts before a module's name in the adapter file (PeftModel.base_model.model). */
    public static final String NAME_PREFIX = "base_model.model.";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String A_SUFFIX = ".lora_A.weight";
    private static final String B_SUFFIX = ".lora_B.weight";

    /** One adapted module: its base shape and its A [r, in] and B [out, r]. */
    private record Adapter(LinearModule module, Var a, Var b) {
    }

    private final CausalLM model;
    private final LoraConfig config;
    private final float scaling;
    private final List<LinearModule> allModules;
    private final Map<String, Adapter> adapters = new LinkedHashMap<>();
    private final Map<String, Var> parameters;
    private final long dropoutSeed;
    private SplittableRandom dropoutSeeds;
    private long dropoutMasksDrawn;
    private volatile boolean adaptersEnabled = true;
    private volatile boolean dropoutDisabled;

    private LoraModel(CausalLM base, LoraConfig config, long seed) {
        if (base instanceof LoraModel) {
            throw new IllegalArgumentException("the model already has LoRA adapters; merge them first");
        }
        this.allModules = Models.linearModules(base.config());
        TargetModules targets = config.targetModules() == null ? TargetModules.defaultFor(base.config())
                : config.targetModules();
        List<LinearModule> chosen = targets.select(allModules);
        if (targets instanceof TargetModules.AllLinear) {
            targets = new TargetModules.Names(chosen.stream().map(LinearModule::leafName).distinct().sorted().toList());
        }
        this.config = config.withTargetModules(targets);
        this.scaling = (float) config.scaling();
        SplittableRandom root = new SplittableRandom(seed);
        this.dropoutSeed = root.nextLong();
        Map<String, Var> params = new LinkedHashMap<>();
        for (LinearModule module : chosen) {
            Tensor a = Tensor.zeros(config.r(), module.inFeatures());
            // kaiming_uniform_(a=sqrt(5)) on A [r, in]: gain sqrt(2 / (1 + 5)), bound gain * sqrt(3 / in) = 1 / sqrt(in)
            double bound = 1 / Math.sqrt(module.inFeatures());
            SplittableRandom stream = root.split();
            float[] data = a.data();
            for (int i = 0; i < data.length; i++) {
                data[i] = (float) ((2 * stream.nextDouble() - 1) * bound);
            }
            Adapter adapter = new Adapter(module, new Var(a, true),
                    new Var(Tensor.zeros(module.outFeatures(), config.r()), true));
            adapters.put(module.name(), adapter);
            params.put(NAME_PREFIX + module.name() + A_SUFFIX, adapter.a());
            params.put(NAME_PREFIX + module.name() + B_SUFFIX, adapter.b());
        }
        this.parameters = Collections.unmodifiableMap(params);
        this.dropoutSeeds = new SplittableRandom(dropoutSeed);
        this.model = Models.frozenWithAdapter(base, this::adapt);
    }

    /**
     * New adapters on {@code base} as {@code config} says, initialised from {@code seed} (which also seeds the
     * dropout masks). The base's tensors are shared, not copied: train the returned model, not the base.
     *
     * @throws IllegalArgumentException when the target modules match nothing, or {@code base} is itself a LoRA model
     */
    public static LoraModel create(CausalLM base, LoraConfig config, long seed) {
        return new LoraModel(base, config, seed);
    }

    /**
     * The adapter saved in {@code directory} ({@value #CONFIG_FILE} and {@value #WEIGHTS_FILE}, as PEFT or
     * {@link #save} wrote them) on {@code base}; {@code seed} seeds the dropout masks of further training.
     *
     * @throws ModelException naming the file and the problem: a missing or invalid file, an unsupported option, a
     *                        target module the base lacks, a tensor for a module the base does not have or the config
     *                        does not choose, a missing tensor, or a shape that disagrees with r or the base
     */
    public static LoraModel load(CausalLM base, Path directory, long seed) {
        return load(base, directory, seed, PeftTaskType.CAUSAL_LM, Map.of());
    }

    /**
     * As {@link #load(CausalLM, Path, long)} for an adapter of {@code task} on {@code base} (for a sequence
     * classifier, its backbone), whose file also holds the whole modules {@code savedModules} (by tensor name, e.g.
     * {@code score.weight}): their values are read into those variables.
     */
    public static LoraModel load(CausalLM base, Path directory, long seed, PeftTaskType task,
                                 Map<String, Var> savedModules) {
        Path configFile = directory.resolve(CONFIG_FILE);
        JsonNode json = adapterConfig(directory);
        LoraModel lora;
        try {
            lora = new LoraModel(base, LoraConfig.fromJson(json, task), seed);
        } catch (ModelException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new ModelException(configFile + ": " + e.getMessage());
        }
        lora.loadAdapterWeights(directory, savedModules);
        return lora;
    }

    /**
     * The base model folder the adapter in {@code directory} records ({@code base_model_name_or_path}), as PEFT's
     * {@code AutoPeftModel} finds it.
     *
     * @throws ModelException when it records none, or names no local folder (a Hub id cannot be downloaded here)
     */
    public static Path baseModel(Path directory) {
        Path configFile = directory.resolve(CONFIG_FILE);
        JsonNode base = adapterConfig(directory).get("base_model_name_or_path");
        if (base == null || base.isNull() || base.asText().isBlank()) {
            throw new ModelException(configFile + ": no base_model_name_or_path; give the base model with --model");
        }
        Path path = Path.of(base.asText());
        if (!Files.isDirectory(path)) {
            throw new ModelException(configFile + ": base_model_name_or_path '" + base.asText() + "' is not a local"
                    + " folder (nothing is downloaded here); give the base model with --model");
        }
        return path;
    }

    /** The task type recorded in the adapter configuration of {@code directory} (CAUSAL_LM when absent). */
    public static PeftTaskType taskType(Path directory) {
        Path configFile = directory.resolve(CONFIG_FILE);
        JsonNode task = adapterConfig(directory).get("task_type");
        if (task == null || task.isNull()) {
            return PeftTaskType.CAUSAL_LM;
        }
        try {
            return PeftTaskType.valueOf(task.asText());
        } catch (IllegalArgumentException e) {
            throw new ModelException(configFile + ": task_type " + task + " is not supported (supported: "
                    + Arrays.toString(PeftTaskType.values()) + ")");
        }
    }

    /** The adapter configuration of {@code directory}, read (errors name the folder or the file). */
    private static JsonNode adapterConfig(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new ModelException(directory + ": no such adapter directory");
        }
        return HfModels.readJson(directory.resolve(CONFIG_FILE));
    }

    /** The configuration; "all-linear" is resolved to the module names it chose, as PEFT saves it. */
    public LoraConfig loraConfig() {
        return config;
    }

    /** The adapted modules, in forward order. */
    public List<LinearModule> adaptedModules() {
        return adapters.values().stream().map(Adapter::module).toList();
    }

    /** This module's term of eq. 3 added to the base output, unless adapters are off or it has none. */
    private Var adapt(Tape tape, String module, Var input, Var output) {
        Adapter adapter = adaptersEnabled ? adapters.get(module) : null;
        if (adapter == null) {
            return output;
        }
        Var x = config.loraDropout() > 0 && !dropoutDisabled && tape.isRecording()
                ? Ops.dropout(tape, input, config.loraDropout(), new SplittableRandom(tape.seed(this::nextDropoutSeed)))
                : input;
        return Ops.addLowRank(tape, output, x, adapter.a(), adapter.b(), scaling);
    }

    /**
     * The seed of the next dropout mask: mask n is drawn from a generator seeded with the n-th seed. A checkpointed
     * block's recomputation reuses its forward's seeds ({@link Tape#seed}) and draws none.
     */
    private synchronized long nextDropoutSeed() {
        dropoutMasksDrawn++;
        return dropoutSeeds.nextLong();
    }

    /**
     * Turns the adapters' dropout off for good, as TRL's {@code disable_dropout} sets every dropout module's p to 0;
     * {@code lora_dropout} stays in the saved configuration, as PEFT keeps it.
     */
    public void disableDropout() {
        dropoutDisabled = true;
    }

    /** Whether {@link #disableDropout()} turned the adapters' dropout off. */
    public boolean dropoutDisabled() {
        return dropoutDisabled;
    }

    /** How many dropout masks have been drawn: the dropout state a training checkpoint saves. */
    public synchronized long dropoutMasksDrawn() {
        return dropoutMasksDrawn;
    }

    /** Restores the dropout state, so that the next masks are those that followed {@code count} masks. */
    public synchronized void restoreDropoutMasksDrawn(long count) {
        if (count < 0) {
            throw new IllegalArgumentException("negative dropout mask count " + count);
        }
        dropoutSeeds = new SplittableRandom(dropoutSeed);
        for (long i = 0; i < count; i++) {
            dropoutSeeds.nextLong();
        }
        dropoutMasksDrawn = count;
    }

    /**
     * Turns the adapters off until the returned handle is closed (PEFT's {@code disable_adapter()} context):
     * {@code try (var off = lora.disableAdapter()) { reference forward }}. Closing restores the state before the
     * call, so handles nest. The switch is one flag of this model: meant for sequential use, not for forwards with
     * and without adapters running at the same time on different threads.
     */
    public AdapterDisabled disableAdapter() {
        AdapterDisabled handle = new AdapterDisabled(adaptersEnabled);
        adaptersEnabled = false;
        return handle;
    }

    /** Whether forwards currently apply the adapters. */
    public boolean adaptersEnabled() {
        return adaptersEnabled;
    }

    /** The handle of {@link #disableAdapter()}: closing it turns the adapters back to how they were. */
    public final class AdapterDisabled implements AutoCloseable {
        private final boolean previous;
        private boolean closed;

        private AdapterDisabled(boolean previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                adaptersEnabled = previous;
            }
        }
    }

    @Override
    protected CausalLM delegate() {
        return model;
    }

    /** The adapters' A and B, named as in {@value #WEIGHTS_FILE}, in forward order (A before B of each module). */
    @Override
    public Map<String, Var> parameters() {
        return parameters;
    }


    /**
     * Saves the adapter into {@code directory} atomically (written to a temporary folder, then renamed):
     * {@value #CONFIG_FILE} and {@value #WEIGHTS_FILE} in float32, as PEFT's {@code save_pretrained} lays them out.
     */
    public void save(Path directory) {
        try {
            AtomicDirectory.write(directory, this::write);
        } catch (IOException e) {
            throw new UncheckedIOException(directory + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes the files of {@link #save} into the existing {@code directory}, not atomically: for a directory that is
     * itself being written atomically, such as a training checkpoint.
     */
    public void write(Path directory) throws IOException {
        write(directory, PeftTaskType.CAUSAL_LM, Map.of());
    }

    /**
     * As {@link #write(Path)} for an adapter of {@code task}, the file also holding the whole modules
     * {@code savedModules} (by tensor name, e.g. {@code score.weight}, saved as {@value #NAME_PREFIX}{@code <name>}
     * in float32, as PEFT saves {@code modules_to_save}).
     */
    public void write(Path directory, PeftTaskType task, Map<String, Var> savedModules) throws IOException {
        JSON.writeValue(directory.resolve(CONFIG_FILE).toFile(), config.toJson(config().isGpt2(), task));
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        parameters.forEach((name, v) -> tensors.put(name, v.value()));
        savedModules.forEach((name, v) -> tensors.put(NAME_PREFIX + name, v.value()));
        SafeTensorsWriter.write(directory.resolve(WEIGHTS_FILE), SafeTensorsWriter.entries(tensors, Dtype.F32));
    }

    /**
     * Replaces A and B with those in {@code directory}'s {@value #WEIGHTS_FILE} (converted to float32), e.g. when
     * resuming training from a checkpoint.
     *
     * @throws ModelException naming the file and tensor when the file holds a tensor this model has no place for, or
     *                        lacks one, or a shape differs
     */
    public void loadAdapterWeights(Path directory) {
        loadAdapterWeights(directory, Map.of());
    }

    /**
     * As {@link #loadAdapterWeights(Path)}, also reading the whole modules {@code savedModules} (by tensor name, as
     * {@link #write(Path, PeftTaskType, Map)} wrote them) into those variables.
     */
    public void loadAdapterWeights(Path directory, Map<String, Var> savedModules) {
        Path file = directory.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(file)) {
            throw new ModelException(file + (Files.exists(directory.resolve("adapter_model.bin"))
                    ? ": no such file (adapter_model.bin, PyTorch's pickle format, is not supported)" : ": no such file"));
        }
        try (SafeTensors weights = SafeTensors.open(file)) {
            for (String name : weights.names()) {
                boolean saved = name.startsWith(NAME_PREFIX)
                        && savedModules.containsKey(name.substring(NAME_PREFIX.length()));
                if (!parameters.containsKey(name) && !saved) {
                    throw new ModelException(file + ": " + unexpectedTensor(name));
                }
            }
            Map<String, Tensor> loaded = new HashMap<>();
            for (Adapter adapter : adapters.values()) {
                String prefix = NAME_PREFIX + adapter.module().name();
                loaded.put(prefix + A_SUFFIX, readChecked(weights, file, prefix + A_SUFFIX, adapter.a(), 0));
                loaded.put(prefix + B_SUFFIX, readChecked(weights, file, prefix + B_SUFFIX, adapter.b(), 1));
            }
            Map<String, Var> targets = new HashMap<>(parameters);
            savedModules.forEach((name, v) -> {
                loaded.put(NAME_PREFIX + name, readChecked(weights, file, NAME_PREFIX + name, v, -1));
                targets.put(NAME_PREFIX + name, v);
            });
            loaded.forEach((name, t) -> System.arraycopy(t.data(), 0, targets.get(name).value().data(),
                    0, t.size()));
        }
    }

    private Tensor readChecked(SafeTensors weights, Path file, String name, Var target, int rankDim) {
        if (!weights.contains(name)) {
            throw new ModelException(file + ": missing tensor '" + name + "'");
        }
        Tensor t = weights.read(name);
        int[] expected = target.value().shape();
        if (!Arrays.equals(t.shape(), expected)) {
            int[] shape = t.shape();
            if (rankDim >= 0 && shape.length == 2 && shape[rankDim] != config.r()) {
                throw new ModelException(file + ": tensor '" + name + "' of shape " + Arrays.toString(shape)
                        + " has rank " + shape[rankDim] + ", but " + CONFIG_FILE + " says r = " + config.r());
            }
            throw new ModelException(file + ": tensor '" + name + "' has shape " + Arrays.toString(shape)
                    + ", the base model's module implies " + Arrays.toString(expected));
        }
        return t;
    }

    /** Why an adapter file's tensor has no place in this model. */
    private String unexpectedTensor(String name) {
        String suffix = name.endsWith(A_SUFFIX) ? A_SUFFIX : name.endsWith(B_SUFFIX) ? B_SUFFIX : null;
        if (suffix == null || !name.startsWith(NAME_PREFIX)) {
            return "unexpected tensor '" + name + "' (LoRA weights are named " + NAME_PREFIX + "<module>" + A_SUFFIX
                    + " or " + B_SUFFIX.substring(1) + ")";
        }
        String module = name.substring(NAME_PREFIX.length(), name.length() - suffix.length());
        boolean exists = allModules.stream().anyMatch(m -> m.name().equals(module));
        return exists
                ? "tensor '" + name + "' adapts module '" + module + "', which target_modules "
                        + config.targetModules().toJson() + " does not choose"
                : "tensor '" + name + "' adapts module '" + module + "', which the " + config().modelType()
                        + " base model does not have";
    }

    /**
     * The base model with every adapter folded into its weight, as PEFT's {@code merge_and_unload}:
     * W' = W + (α/r) B A for {@code nn.Linear} weights [out, in], W' = W + (α/r) (B A)ᵀ for Conv1D weights [in, out].
     * Every adapter is merged, whether or not {@link #disableAdapter()} is in effect. Merged weights are new float32
     * tensors (a bfloat16 base weight is widened first); the other parameters share their storage, and dtype, with
     * this model's base. Its parameters are trainable, as those of a loaded model. Adapters on a backbone (no lm_head)
     * merge into a backbone.
     */
    public CausalLM merged() {
        Map<String, Tensor> mergedWeights = new HashMap<>();
        for (Adapter adapter : adapters.values()) {
            LinearModule module = adapter.module();
            Tensor weight = model.parameters().get(module.weightName()).value().toFloat32();
            int r = config.r();
            int in = module.inFeatures();
            int out = module.outFeatures();
            Tensor scaledA = adapter.a().value().copy();
            Backend.kernels().scale(scaledA, scaling, scaledA.size());
            if (module.conv1d()) {
                Tensor scaledAt = Tensor.zeros(in, r);
                for (int i = 0; i < r; i++) {
                    for (int j = 0; j < in; j++) {
                        scaledAt.data()[j * r + i] = scaledA.data()[i * in + j];
                    }
                }
                Backend.kernels().matmulNT(scaledAt, 0, adapter.b().value(), 0, weight, 0, in, out, r, true);
            } else {
                Backend.kernels().matmulNN(adapter.b().value(), 0, scaledA, 0, weight, 0, out, in, r, true);
            }
            mergedWeights.put(module.weightName(), weight);
        }
        Map<String, Var> base = model.parameters();
        Function<String, Tensor> source = name -> mergedWeights.containsKey(name) ? mergedWeights.get(name)
                : base.containsKey(name) ? base.get(name).value() : null;
        return model.lmHead() != null ? Models.create(config(), source, "merged model")
                : Models.createBackbone(config(), source, "merged backbone");
    }
}
