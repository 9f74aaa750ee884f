package org.align4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.align4j.autograd.Var;
import org.align4j.model.io.Dtype;
import org.align4j.model.io.HfCheckpoint;
import org.align4j.model.io.SafeTensors;
import org.align4j.model.io.SafeTensorsWriter;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Loading and saving checkpoints in the Hugging Face layout, and the errors for bad ones. */
class HfModelsTest {
    static final java.util.List<String> MODELS = Fixture.NAMES;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @ParameterizedTest
    @FieldSource("MODELS")
    void loadedThenSavedCheckpointIsIdentical(String name) throws IOException {
        Fixture f = Fixture.load(name);
        CausalLM model = HfModels.load(f.dir());
        Path out = tmp.resolve(name);
        HfModels.save(model, out, Dtype.F32, HfModels.readGenerationConfig(f.dir()), 0);
        assertArrayEquals(Files.readAllBytes(f.dir().resolve("model.safetensors")),
                Files.readAllBytes(out.resolve("model.safetensors")), name + ": model.safetensors bytes");
        assertEquals(JSON.readTree(f.dir().resolve("config.json").toFile()),
                JSON.readTree(out.resolve("config.json").toFile()), name + ": config.json");
        assertEquals(JSON.readTree(f.dir().resolve("generation_config.json").toFile()),
                JSON.readTree(out.resolve("generation_config.json").toFile()), name + ": generation_config.json");
        assertTrue(Files.notExists(tmp.resolve(name + ".tmp")), "no temporary folder left");
    }

    @Test
    void bf16AndShardedCheckpointsLoadBack() {
        Fixture f = Fixture.load("qwen3-tiny");
        CausalLM model = HfModels.load(f.dir());
        Path bf16 = tmp.resolve("bf16");
        HfModels.save(model, bf16, Dtype.BF16, null, 100_000);
        try (HfCheckpoint ckpt = HfCheckpoint.open(bf16)) {
            assertTrue(Files.exists(bf16.resolve("model.safetensors.index.json")), "sharded");
            assertEquals(Dtype.BF16, ckpt.info("model.embed_tokens.weight").dtype());
        }
        CausalLM back = HfModels.load(bf16);
        for (Map.Entry<String, Var> e : model.parameters().entrySet()) {
            float[] want = e.getValue().value().data();
            float[] got = back.parameters().get(e.getKey()).value().data();
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], Math.abs(want[i]) * 0x1p-8 + 1e-30, e.getKey() + "[" + i + "]");
            }
        }
    }

    @Test
    void loadedModelRemembersTheDtypeTheCheckpointStores() throws IOException {
        CausalLM model = HfModels.load(Fixture.load("llama-tiny").dir());
        assertEquals(Dtype.F32, model.config().dtype());
        for (Dtype dtype : new Dtype[] {Dtype.BF16, Dtype.F16}) {
            Path dir = tmp.resolve(dtype.name());
            HfModels.save(model, dir, dtype, null, 0);
            assertEquals(dtype.torchName(), JSON.readTree(dir.resolve("config.json").toFile()).get("dtype").asText());
            assertEquals(dtype, HfModels.load(dir).config().dtype());
        }
        Path mislabelled = copyOf("llama-tiny");
        ObjectNode config = (ObjectNode) JSON.readTree(mislabelled.resolve("config.json").toFile());
        config.put("dtype", "bfloat16").put("torch_dtype", "bfloat16");
        JSON.writeValue(mislabelled.resolve("config.json").toFile(), config);
        CausalLM loaded = HfModels.load(mislabelled);
        assertEquals(Dtype.F32, loaded.config().dtype(), "the tensors' dtype, not the config's");
        assertEquals("float32", loaded.config().json().get("torch_dtype").asText());
        assertEquals(Dtype.F16, HfModels.load(mislabelled, Dtype.F16).config().dtype(), "chosen");
    }

    @Test
    void halfPrecisionCheckpointsLoadedAndWrittenBackAreBitIdentical() throws IOException {
        CausalLM model = HfModels.load(Fixture.load("qwen3-tiny").dir());
        for (Dtype dtype : new Dtype[] {Dtype.BF16, Dtype.F16}) {
            Path in = tmp.resolve("in-" + dtype);
            HfModels.save(model, in, dtype, null, 0);
            Path out = Files.createDirectories(tmp.resolve("out-" + dtype));
            new HfModelWriter(null, null).write(HfModels.load(in), out);
            assertArrayEquals(Files.readAllBytes(in.resolve("model.safetensors")),
                    Files.readAllBytes(out.resolve("model.safetensors")), dtype + ": model.safetensors bytes");
            assertEquals(JSON.readTree(in.resolve("config.json").toFile()), JSON.readTree(out.resolve("config.json")
                    .toFile()), dtype + ": config.json");
        }
    }

    @Test
    void configRecordsTheDtypeInTheFieldsItHas() throws Exception {
        ModelConfig neither = Presets.config("llama", "tiny");
        assertEquals(Dtype.F32, neither.dtype());
        ModelConfig added = neither.withDtype(Dtype.BF16);
        assertEquals("bfloat16", added.json().get("torch_dtype").asText());
        assertTrue(!added.json().has("dtype") && !neither.json().has("torch_dtype"), "added to a copy");
        assertEquals(Dtype.BF16, added.dtype());

        ObjectNode both = neither.json().deepCopy().put("dtype", "float16").put("torch_dtype", "float16");
        ModelConfig f32 = ModelConfig.fromJson(both, "test").withDtype(Dtype.F32);
        assertEquals("float32", f32.json().get("dtype").asText());
        assertEquals("float32", f32.json().get("torch_dtype").asText());
        assertEquals(Dtype.F16, ModelConfig.fromJson(both, "test").dtype());
        assertEquals(Dtype.F32, ModelConfig.fromJson(neither.json().deepCopy().put("torch_dtype", "float64"), "test")
                .dtype(), "a dtype the engine cannot write");
        ModelException unknown = org.junit.jupiter.api.Assertions.assertThrows(ModelException.class,
                () -> ModelConfig.fromJson(neither.json().deepCopy().put("dtype", "floatx"), "test"));
        assertEquals("test: field 'dtype' must name a torch dtype (float32, bfloat16, float16, float64, auto), got"
                + " \"floatx\"", unknown.getMessage());
        for (String[] bad : new String[][] {{"rms_norm_eps", "0"}, {"rms_norm_eps", "-1e-6"}, {"rope_theta", "-10000"},
            {"eos_token_id", "-3"}, {"pad_token_id", "99999"}, {"eos_token_id", "1.5"}}) {
            ObjectNode json = neither.json().deepCopy();
            json.set(bad[0], new com.fasterxml.jackson.databind.ObjectMapper().readTree(bad[1]));
            ModelException e = org.junit.jupiter.api.Assertions.assertThrows(ModelException.class,
                    () -> ModelConfig.fromJson(json, "test"), bad[0] + " " + bad[1]);
            assertTrue(e.getMessage().startsWith("test: field '" + bad[0] + "' must "), e.getMessage());
        }
        ObjectNode huge = neither.json().deepCopy().put("vocab_size", 2_000_000_000);
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(ModelException.class,
                () -> ModelConfig.fromJson(huge, "test")).getMessage().contains("more elements than one array holds"));
    }

    private Path copyOf(String name) throws IOException {
        Fixture f = Fixture.load(name);
        Path dir = tmp.resolve("copy-" + name);
        Files.createDirectories(dir);
        for (String file : new String[] {"config.json", "model.safetensors", "generation_config.json"}) {
            Files.copy(f.dir().resolve(file), dir.resolve(file));
        }
        return dir;
    }

    @Test
    void unknownArchitectureIsOneLineNamingTheField() throws IOException {
        Path dir = copyOf("llama-tiny");
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        config.put("model_type", "mamba");
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
        ModelException e = assertThrows(ModelException.class, () -> HfModels.load(dir));
        assertEquals(dir.resolve("config.json") + ": unknown model_type 'mamba' (supported: gpt2, llama, qwen2, qwen3)",
                e.getMessage());
    }

    @Test
    void missingAndMisShapedTensorsAreNamed() throws IOException {
        Path dir = copyOf("llama-tiny");
        Map<String, Tensor> tensors = new java.util.LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(dir.resolve("model.safetensors"))) {
            for (String n : st.names()) {
                tensors.put(n, st.read(n));
            }
        }
        tensors.remove("model.layers.1.mlp.up_proj.weight");
        SafeTensorsWriter.write(dir.resolve("model.safetensors"), SafeTensorsWriter.entries(tensors, Dtype.F32));
        ModelException missing = assertThrows(ModelException.class, () -> HfModels.load(dir));
        assertEquals(dir.resolve("model.safetensors") + ": missing tensor 'model.layers.1.mlp.up_proj.weight'",
                missing.getMessage());

        tensors.put("model.layers.1.mlp.up_proj.weight", Tensor.zeros(176, 63));
        SafeTensorsWriter.write(dir.resolve("model.safetensors"), SafeTensorsWriter.entries(tensors, Dtype.F32));
        ModelException shape = assertThrows(ModelException.class, () -> HfModels.load(dir));
        assertEquals(dir.resolve("model.safetensors") + ": tensor 'model.layers.1.mlp.up_proj.weight' has shape"
                + " [176, 63], config.json implies [176, 64]", shape.getMessage());
    }

    /** A layer count far beyond the checkpoint's is refused from the headers, before a weight is allocated. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"llama-tiny, num_hidden_layers, model.layers.",
        "gpt2-tiny, n_layer, transformer.h."})
    void moreLayersThanTheCheckpointHoldsAreRefusedUpFront(String fixture, String field, String prefix)
            throws IOException {
        Path dir = copyOf(fixture);
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        int held = config.get(field).asInt();
        config.put(field, 1_000_000);
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
        String expected = dir.resolve("model.safetensors") + ": config.json's " + field + " is 1000000 but the"
                + " checkpoint holds " + held + " layers (" + prefix + "0 to " + prefix + (held - 1) + ")";
        assertEquals(expected, assertThrows(ModelException.class, () -> HfModels.load(dir)).getMessage());
        assertEquals(expected, assertThrows(ModelException.class,
                () -> HfModels.loadFrozen(dir, Dtype.F32, null)).getMessage());
        assertEquals(expected, assertThrows(ModelException.class, () -> RewardModel.load(dir, 0)).getMessage());
        assertTrue(Models.parameterCount(ModelConfig.fromJson(config, "c")) > 1_000_000L * held);
    }

    @Test
    void invalidConfigFieldIsNamed() throws IOException {
        Path dir = copyOf("qwen2-tiny");
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        config.put("num_key_value_heads", 3);
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
        ModelException e = assertThrows(ModelException.class, () -> HfModels.load(dir));
        assertTrue(e.getMessage().contains("num_attention_heads 4 is not a multiple of num_key_value_heads 3"),
                e.getMessage());
        assertThrows(ModelException.class, () -> HfModels.load(tmp.resolve("nowhere")));
    }

    @Test
    void presetsBuildRandomModelsOfTheirPublishedSize() {
        CausalLM gpt2 = Models.randomInit(Presets.config("gpt2", "124M"), 1);
        long n = gpt2.parameters().values().stream().mapToLong(v -> v.value().size()).sum();
        assertEquals(124_439_808L, n, "GPT-2 124M parameter count");
        assertThrows(ModelException.class, () -> Presets.config("gpt2", "7B"));
    }

    /** The presets of the sizes users align have their published parameter counts (too large to build in a test). */
    @Test
    void largePresetsHaveTheirPublishedShapes() {
        assertEquals(1_235_814_400L, llamaFamilyParameters(Presets.config("llama", "1B")), "Llama-3.2-1B");
        assertEquals(494_032_768L, llamaFamilyParameters(Presets.config("qwen2", "0.5B")), "Qwen2-0.5B");
        assertEquals(1_543_714_304L, llamaFamilyParameters(Presets.config("qwen2", "1.5B")), "Qwen2-1.5B");
        assertEquals("llama3", Presets.config("llama", "1B").rope().type());
        assertEquals(8_030_261_248L, llamaFamilyParameters(Presets.config("llama", "8B")), "Llama-3.1-8B");
        assertEquals(7_615_616_512L, llamaFamilyParameters(Presets.config("qwen2", "7B")), "Qwen2-7B");
        assertEquals(Models.parameterCount(Presets.config("qwen2", "7B")),
                llamaFamilyParameters(Presets.config("qwen2", "7B")));
    }

    /**
     * Parameters of a Llama-family config: embedding, blocks (q/k/v biases when set), final norm, and an lm_head
     * unless the embeddings are tied.
     */
    private static long llamaFamilyParameters(ModelConfig c) {
        long d = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        long attention = d * q + 2 * d * kv + q * d + (c.attentionBias() ? q + 2 * kv : 0);
        long block = attention + 3 * d * c.intermediateSize() + 2 * d;
        return (long) c.vocabSize() * d * (c.tieWordEmbeddings() ? 1 : 2) + c.numLayers() * block + d;
    }
}
