package org.align4j.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.align4j.autograd.Var;
import org.align4j.StrictJson;
import org.align4j.model.io.Dtype;
import org.align4j.model.io.HfCheckpoint;
import org.align4j.model.io.SafeTensorsWriter;
import org.align4j.tensor.Tensor;
import org.align4j.model.io.AtomicDirectory;

/**
 * Loads and saves models in the Hugging Face layout: {@code config.json}, {@code generation_config.json} and
 * {@code model.safetensors} (or a sharded index), tensors named and shaped exactly as transformers names them.
 */
public final class HfModels {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private HfModels() {
    }

    /** Reads {@code dir/config.json}; errors name the file. */
    public static ModelConfig readConfig(Path dir) {
        Path file = dir.resolve("config.json");
        if (!Files.isDirectory(dir)) {
            throw new ModelException(dir + ": no such model directory");
        }
        if (!Files.exists(file) && Files.exists(dir.resolve("adapter_config.json"))) {
            throw new ModelException(dir + " holds a LoRA adapter (adapter_config.json), not a model: fold it into its"
                    + " base model with 'align4j merge --model BASE --adapter " + dir + " --output DIR'");
        }
        JsonNode node = readJson(file);
        if (!(node instanceof ObjectNode obj)) {
            throw new ModelException(file + ": not a JSON object");
        }
        return ModelConfig.fromJson(obj, file.toString());
    }

    /**
     * A JSON file of a model or adapter folder, read strictly ({@link StrictJson}).
     *
     * @throws ModelException naming the file (and line) for a missing, unreadable or malformed file
     */
    public static JsonNode readJson(Path file) {
        try {
            return StrictJson.read(file);
        } catch (JsonProcessingException e) {
            throw new ModelException(file + (e.getLocation() != null ? ":" + e.getLocation().getLineNr() : "")
                    + ": invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            if (!Files.exists(file)) {
                throw new ModelException(file + ": no such file");
            }
            throw new ModelException(file + ": " + e.getMessage());
        }
    }

    /**
     * Loads the model in {@code dir} as float32 (BF16 and F16 tensors are widened); its config records the dtype
     * the checkpoint stores the weights in ({@link ModelConfig#dtype}), which saving keeps by default.
     */
    public static CausalLM load(Path dir) {
        return load(dir, null);
    }

    /**
     * {@link #load(Path)}, the config recording {@code dtype} instead of the checkpoint's dtype (null: the
     * checkpoint's): the dtype the model is saved in, as {@code --save-dtype} chooses it.
     */
    public static CausalLM load(Path dir, Dtype dtype) {
        if (!Files.isDirectory(dir)) {
            throw new ModelException(dir + ": no such model directory");
        }
        ModelConfig config = readConfig(dir);
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            Models.requireLayers(config, ckpt.names(), dir.resolve("model.safetensors").toString());
            ModelConfig stored = config.withDtype(dtype != null ? dtype : checkpointDtype(ckpt, config));
            return Models.create(stored, name -> ckpt.contains(name) ? ckpt.read(name) : null,
                    dir.resolve("model.safetensors").toString());
        }
    }

    /**
     * The storage dtype transformers' {@code torch_dtype="auto"} picks for the checkpoint in {@code dir}: bfloat16
     * when its config says bfloat16, else float32.
     */
    public static Dtype checkpointStorage(Path dir) {
        return readConfig(dir).dtype() == Dtype.BF16 ? Dtype.BF16 : Dtype.F32;
    }

    /**
     * The model in {@code dir}, frozen (no parameter takes a gradient), its weight matrices stored in {@code storage}
     * ({@link Dtype#F32} or {@link Dtype#BF16}; see {@link Models#frozenCopy}) and read from the checkpoint directly in
     * that dtype, so that a bfloat16 model never takes float32's memory: a reference model, the base of an adapter,
     * or a model that only generates or scores. Its config records {@code configDtype} as the dtype to save it in
     * (null: the checkpoint's), as {@link #load(Path, Dtype)}.
     */
    public static CausalLM loadFrozen(Path dir, Dtype storage, Dtype configDtype) {
        Models.checkFrozenStorage(storage);
        if (!Files.isDirectory(dir)) {
            throw new ModelException(dir + ": no such model directory");
        }
        ModelConfig config = readConfig(dir);
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            Models.requireLayers(config, ckpt.names(), dir.resolve("model.safetensors").toString());
            ModelConfig stored = config.withDtype(configDtype != null ? configDtype : checkpointDtype(ckpt, config));
            return Models.frozenWithAdapter(Models.create(stored, name -> !ckpt.contains(name) ? null
                    : Models.isWeightMatrix(ckpt.info(name).shape()) && storage == Dtype.BF16 ? ckpt.readBfloat16(name)
                    : ckpt.read(name), dir.resolve("model.safetensors").toString()), LinearAdapter.NONE);
        }
    }

    /** The dtype {@code ckpt} stores {@code config}'s parameters in (the config's own when none is a float tensor). */
    static Dtype checkpointDtype(HfCheckpoint ckpt, ModelConfig config) {
        return ckpt.floatDtype(Models.parameterShapes(config).keySet()).orElse(config.dtype());
    }

    /** The generation_config.json of {@code dir}, or null when there is none. */
    public static ObjectNode readGenerationConfig(Path dir) {
        Path file = dir.resolve("generation_config.json");
        if (!Files.exists(file)) {
            return null;
        }
        JsonNode node = readJson(file);
        if (!(node instanceof ObjectNode obj)) {
            throw new ModelException(file + ": not a JSON object");
        }
        return obj;
    }

    /**
     * Saves {@code model} to {@code dir} atomically (written to a temporary folder, then renamed): config.json as
     * loaded with its {@code torch_dtype} / {@code dtype} set to {@code dtype} ({@link ModelConfig#withDtype}),
     * generation_config.json (the given one, or one with the config's eos ids), and model.safetensors in
     * {@code dtype}, sharded when larger than {@code maxShardBytes} (0: never).
     */
    public static void save(CausalLM model, Path dir, Dtype dtype, ObjectNode generationConfig, long maxShardBytes) {
        try {
            AtomicDirectory.write(dir, tmp -> write(model, tmp, dtype, generationConfig, maxShardBytes));
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes the files of {@link #save} into the existing directory {@code dir}, not atomically: for a directory
     * that is itself being written atomically, such as a training checkpoint.
     */
    public static void write(CausalLM model, Path dir, Dtype dtype, ObjectNode generationConfig, long maxShardBytes)
            throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Var> e : model.parameters().entrySet()) {
            tensors.put(e.getKey(), e.getValue().value());
        }
        ObjectNode genConfig = generationConfig != null ? generationConfig : defaultGenerationConfig(model.config());
        JSON.writeValue(dir.resolve("config.json").toFile(), model.config().withDtype(dtype).json());
        JSON.writeValue(dir.resolve("generation_config.json").toFile(), genConfig);
        Map<String, SafeTensorsWriter.Entry> entries = SafeTensorsWriter.entries(tensors, dtype);
        if (maxShardBytes > 0) {
            HfCheckpoint.writeWeights(dir, entries, maxShardBytes);
        } else {
            HfCheckpoint.writeWeights(dir, entries);
        }
    }

    /**
     * Replaces the parameter values of {@code model} with the weights saved in {@code dir} (e.g. a training
     * checkpoint of the same architecture), converted to float32.
     *
     * @throws ModelException naming the checkpoint and tensor when one is missing or has another shape
     */
    public static void loadWeights(CausalLM model, Path dir) {
        loadWeights(model.parameters(), dir);
    }

    /**
     * Replaces the values of {@code parameters} (by HF name) with the weights saved in {@code dir}, converted to
     * float32 (to bfloat16 for a parameter stored so): {@link #loadWeights(CausalLM, Path)} for any set of named parameters, such as a reward model's.
     *
     * @throws ModelException naming the checkpoint and tensor when one is missing or has another shape
     */
    public static void loadWeights(Map<String, Var> parameters, Path dir) {
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            for (Map.Entry<String, Var> e : parameters.entrySet()) {
                if (!ckpt.contains(e.getKey())) {
                    throw new ModelException(dir + ": missing tensor '" + e.getKey() + "'");
                }
                Tensor target = e.getValue().value();
                Tensor saved = target.isBfloat16() ? ckpt.readBfloat16(e.getKey()) : ckpt.read(e.getKey());
                if (!saved.sameShape(target)) {
                    throw new ModelException(dir + ": tensor '" + e.getKey() + "' has shape "
                            + Arrays.toString(saved.shape()) + ", the model's is "
                            + Arrays.toString(target.shape()));
                }
                if (target.isBfloat16()) {
                    System.arraycopy(saved.bfloat16Bits(), 0, target.bfloat16Bits(), 0, target.size());
                } else {
                    System.arraycopy(saved.data(), 0, target.data(), 0, target.size());
                }
            }
        }
    }

    private static ObjectNode defaultGenerationConfig(ModelConfig config) {
        ObjectNode g = JSON.createObjectNode();
        JsonNode bos = config.json().get("bos_token_id");
        JsonNode eos = config.json().get("eos_token_id");
        if (bos != null && !bos.isNull()) {
            g.set("bos_token_id", bos);
        }
        if (eos != null && !eos.isNull()) {
            g.set("eos_token_id", eos);
        }
        return g;
    }
}
