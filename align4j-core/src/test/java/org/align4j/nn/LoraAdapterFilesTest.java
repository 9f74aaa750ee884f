package org.align4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.model.CausalLM;
import org.align4j.model.Fixture;
import org.align4j.model.HfModels;
import org.align4j.model.ModelException;
import org.align4j.model.ModelInput;
import org.align4j.model.io.Dtype;
import org.align4j.model.io.SafeTensors;
import org.align4j.model.io.SafeTensorsWriter;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PEFT adapter layout: adapter_config.json and adapter_model.safetensors, written and read back. */
class LoraAdapterFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static CausalLM base(String name) {
        return HfModels.load(Fixture.load(name).dir());
    }

    @Test
    void llamaAdapterHasPeftsNamesShapesAndConfig() throws IOException {
        LoraModel lora = LoraModel.create(base("llama-tiny"), new LoraConfig(8, 16, 0.05,
                TargetModules.names("q_proj", "v_proj"), false, "fixtures/llama-tiny"), 1);
        Path dir = tmp.resolve("adapter");
        lora.save(dir);
        try (SafeTensors st = SafeTensors.open(dir.resolve(LoraModel.WEIGHTS_FILE))) {
            assertEquals(new TreeSet<>(List.of(
                    "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
                    "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight",
                    "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight",
                    "base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight",
                    "base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight",
                    "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight",
                    "base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight",
                    "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight")), new TreeSet<>(st.names()));
            assertArrayEquals(new int[] {8, 64}, st.info("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").shape());
            assertArrayEquals(new int[] {64, 8}, st.info("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight").shape());
            assertArrayEquals(new int[] {32, 8}, st.info("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight").shape());
            assertEquals(Dtype.F32, st.info("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight").dtype());
            assertEquals(Map.of("format", "pt"), st.metadata());
        }
        JsonNode config = JSON.readTree(dir.resolve(LoraModel.CONFIG_FILE).toFile());
        assertEquals("LORA", config.get("peft_type").asText());
        assertEquals("CAUSAL_LM", config.get("task_type").asText());
        assertEquals(8, config.get("r").asInt());
        assertTrue(config.get("lora_alpha").isIntegralNumber());
        assertEquals(16, config.get("lora_alpha").asInt());
        assertEquals(0.05, config.get("lora_dropout").asDouble());
        assertEquals("[\"q_proj\",\"v_proj\"]", config.get("target_modules").toString());
        assertEquals("fixtures/llama-tiny", config.get("base_model_name_or_path").asText());
        assertEquals("none", config.get("bias").asText());
        assertEquals(false, config.get("fan_in_fan_out").asBoolean());
        assertEquals(true, config.get("inference_mode").asBoolean());
        assertEquals(false, config.get("use_rslora").asBoolean());
        assertEquals(false, config.get("use_dora").asBoolean());
        List<String> keys = new java.util.ArrayList<>();
        config.fieldNames().forEachRemaining(keys::add);
        assertEquals(new java.util.ArrayList<>(new TreeSet<>(keys)), keys, "keys sorted, as PEFT writes them");
    }

    @Test
    void gpt2AdapterIsConv1dShapedLikePeft() throws IOException {
        LoraModel lora = LoraModel.create(base("gpt2-tiny"), LoraConfig.of(4, 8, TargetModules.names("c_attn")), 1);
        Path dir = tmp.resolve("gpt2");
        lora.save(dir);
        try (SafeTensors st = SafeTensors.open(dir.resolve(LoraModel.WEIGHTS_FILE))) {
            assertEquals(4, st.names().size());
            assertArrayEquals(new int[] {4, 64}, st.info("base_model.model.transformer.h.1.attn.c_attn.lora_A.weight").shape());
            assertArrayEquals(new int[] {192, 4}, st.info("base_model.model.transformer.h.1.attn.c_attn.lora_B.weight").shape());
        }
        JsonNode config = JSON.readTree(dir.resolve(LoraModel.CONFIG_FILE).toFile());
        assertEquals(true, config.get("fan_in_fan_out").asBoolean(), "PEFT sets fan_in_fan_out for Conv1D");
    }

    @Test
    void saveThenLoadRestoresTheAdaptersAndTheirOutput() {
        for (String name : List.of("gpt2-tiny", "qwen3-tiny")) {
            LoraModel lora = LoraModel.create(base(name), new LoraConfig(4, 12, 0.1, new TargetModules.AllLinear(),
                    true, null), 2);
            LoraModelTest.randomize(lora, 0.1, 3);
            Path dir = tmp.resolve(name);
            lora.save(dir);
            LoraModel loaded = LoraModel.load(base(name), dir, 0);
            assertEquals(lora.loraConfig(), loaded.loraConfig());
            assertEquals(lora.parameters().keySet(), loaded.parameters().keySet());
            lora.parameters().forEach((n, v) -> assertArrayEquals(v.value().data(),
                    loaded.parameters().get(n).value().data(), n));
            ModelInput in = Fixture.load(name).lmBatch();
            assertArrayEquals(Ops.logits(lora.hiddenStates(Tape.inference(), in), lora.lmHead()).data(),
                    Ops.logits(loaded.hiddenStates(Tape.inference(), in), loaded.lmHead()).data(), name);
        }
    }

    @Test
    void resumingReplacesTheWeightsInPlace() {
        LoraModel trained = LoraModel.create(base("qwen2-tiny"), LoraConfig.of(2, 4, null), 4);
        LoraModelTest.randomize(trained, 0.3, 5);
        Path dir = tmp.resolve("checkpoint");
        trained.save(dir);
        LoraModel fresh = LoraModel.create(base("qwen2-tiny"), LoraConfig.of(2, 4, null), 6);
        Map<String, org.align4j.autograd.Var> before = fresh.parameters();
        fresh.loadAdapterWeights(dir);
        before.forEach((n, v) -> assertArrayEquals(trained.parameters().get(n).value().data(), v.value().data(), n));
    }

    @Test
    void badAdaptersAreOneLineErrorsNamingTheFile() throws IOException {
        CausalLM llama = base("llama-tiny");
        Path good = tmp.resolve("good");
        LoraModel.create(llama, LoraConfig.of(8, 16, TargetModules.names("q_proj")), 1).save(good);
        Path configFile = good.resolve(LoraModel.CONFIG_FILE);
        Path weightsFile = good.resolve(LoraModel.WEIGHTS_FILE);

        Path rank = copy(good, "rank");
        editConfig(rank, c -> c.put("r", 4));
        assertError(rank, rank.resolve(LoraModel.WEIGHTS_FILE) + ": tensor 'base_model.model.model.layers.0.self_attn."
                + "q_proj.lora_A.weight' of shape [8, 64] has rank 8, but adapter_config.json says r = 4");

        Path unknown = copy(good, "unknown");
        editConfig(unknown, c -> c.set("target_modules", JSON.createArrayNode().add("q_proj").add("qq_proj")));
        assertError(unknown, unknown.resolve(LoraModel.CONFIG_FILE) + ": target_modules: 'qq_proj' matches no linear"
                + " module of the model (its linear modules: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj,"
                + " down_proj)");

        Path extraLayer = copy(good, "extra-layer");
        addTensor(extraLayer, "base_model.model.model.layers.5.self_attn.q_proj.lora_A.weight");
        assertError(extraLayer, extraLayer.resolve(LoraModel.WEIGHTS_FILE) + ": tensor 'base_model.model.model.layers.5"
                + ".self_attn.q_proj.lora_A.weight' adapts module 'model.layers.5.self_attn.q_proj', which the llama"
                + " base model does not have");

        Path notChosen = copy(good, "not-chosen");
        addTensor(notChosen, "base_model.model.model.layers.0.mlp.up_proj.lora_B.weight");
        assertError(notChosen, notChosen.resolve(LoraModel.WEIGHTS_FILE) + ": tensor 'base_model.model.model.layers.0"
                + ".mlp.up_proj.lora_B.weight' adapts module 'model.layers.0.mlp.up_proj', which target_modules"
                + " [\"q_proj\"] does not choose");

        Path missing = copy(good, "missing");
        editConfig(missing, c -> c.set("target_modules", JSON.createArrayNode().add("q_proj").add("k_proj")));
        assertError(missing, missing.resolve(LoraModel.WEIGHTS_FILE)
                + ": missing tensor 'base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight'");

        Path dora = copy(good, "dora");
        editConfig(dora, c -> c.put("use_dora", true));
        assertError(dora, dora.resolve(LoraModel.CONFIG_FILE) + ": use_dora true is not supported (supported: false)");

        Path layers = copy(good, "layers");
        editConfig(layers, c -> c.set("layers_to_transform", JSON.createArrayNode().add(0)));
        assertError(layers, layers.resolve(LoraModel.CONFIG_FILE) + ": layers_to_transform [0] is not supported");

        Path prefix = copy(good, "prefix");
        editConfig(prefix, c -> c.put("peft_type", "PREFIX_TUNING"));
        assertError(prefix, prefix.resolve(LoraModel.CONFIG_FILE)
                + ": peft_type \"PREFIX_TUNING\" is not supported (supported: LORA)");

        Path pickle = copy(good, "pickle");
        Files.move(pickle.resolve(LoraModel.WEIGHTS_FILE), pickle.resolve("adapter_model.bin"));
        assertError(pickle, pickle.resolve(LoraModel.WEIGHTS_FILE)
                + ": no such file (adapter_model.bin, PyTorch's pickle format, is not supported)");

        Path broken = copy(good, "broken");
        Files.writeString(broken.resolve(LoraModel.CONFIG_FILE), "{\"r\": ");
        assertTrue(assertThrows(ModelException.class, () -> LoraModel.load(llama, broken, 0)).getMessage()
                .startsWith(broken.resolve(LoraModel.CONFIG_FILE) + ":1: invalid JSON"));
        assertError(tmp.resolve("nowhere"), tmp.resolve("nowhere") + ": no such adapter directory");
        assertTrue(Files.exists(configFile) && Files.exists(weightsFile), "the good adapter is untouched");
    }

    private Path copy(Path from, String name) throws IOException {
        Path to = tmp.resolve(name);
        Files.createDirectories(to);
        for (String file : List.of(LoraModel.CONFIG_FILE, LoraModel.WEIGHTS_FILE)) {
            Files.copy(from.resolve(file), to.resolve(file));
        }
        return to;
    }

    private static void editConfig(Path dir, java.util.function.Consumer<ObjectNode> edit) throws IOException {
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve(LoraModel.CONFIG_FILE).toFile());
        edit.accept(config);
        JSON.writeValue(dir.resolve(LoraModel.CONFIG_FILE).toFile(), config);
    }

    private static void addTensor(Path dir, String name) {
        Path file = dir.resolve(LoraModel.WEIGHTS_FILE);
        Map<String, Tensor> tensors = new java.util.LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(file)) {
            st.names().forEach(n -> tensors.put(n, st.read(n)));
        }
        tensors.put(name, Tensor.zeros(8, 64));
        SafeTensorsWriter.write(file, SafeTensorsWriter.entries(tensors, Dtype.F32));
    }

    private void assertError(Path adapter, String message) {
        CausalLM llama = base("llama-tiny");
        ModelException e = assertThrows(ModelException.class, () -> LoraModel.load(llama, adapter, 0));
        assertEquals(message, e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void configFromJsonTakesPeftsDefaultsAndTargets() throws IOException {
        LoraConfig minimal = LoraConfig.fromJson(JSON.readTree("{\"peft_type\": \"LORA\"}"), PeftTaskType.CAUSAL_LM);
        assertEquals(new LoraConfig(8, 8, 0, null, false, null), minimal);
        LoraConfig regex = LoraConfig.fromJson(JSON.readTree("{\"peft_type\": \"LORA\", \"r\": 16, \"lora_alpha\": 32,"
                + " \"target_modules\": \".*q_proj\", \"use_rslora\": true, \"fan_in_fan_out\": true,"
                + " \"rank_pattern\": {}, \"layers_pattern\": null, \"task_type\": \"CAUSAL_LM\"}"), PeftTaskType.CAUSAL_LM);
        assertEquals(new LoraConfig(16, 32, 0, new TargetModules.Regex(".*q_proj"), true, null), regex);
        assertEquals(new TargetModules.AllLinear(), LoraConfig.fromJson(JSON.readTree(
                "{\"peft_type\": \"LORA\", \"target_modules\": \"ALL-LINEAR\"}"), PeftTaskType.CAUSAL_LM).targetModules());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoraConfig.fromJson(
                JSON.readTree("{\"peft_type\": \"LORA\", \"r\": 0}"), PeftTaskType.CAUSAL_LM));
        assertEquals("r must be positive, got 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LoraConfig.fromJson(
                JSON.readTree("{\"peft_type\": \"LORA\", \"target_modules\": [\"q_proj\", 3]}"), PeftTaskType.CAUSAL_LM));
        assertEquals("target_modules: expected module names, got 3", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LoraConfig.fromJson(
                JSON.readTree("{\"peft_type\": \"LORA\", \"task_type\": \"SEQ_CLS\"}"), PeftTaskType.CAUSAL_LM));
        assertEquals("task_type \"SEQ_CLS\" is not supported here (this model needs CAUSAL_LM)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LoraConfig.fromJson(
                JSON.readTree("{\"peft_type\": \"LORA\", \"modules_to_save\": [\"lm_head\"]}"), PeftTaskType.CAUSAL_LM));
        assertEquals("modules_to_save [\"lm_head\"] is not supported (a CAUSAL_LM adapter may save [])", e.getMessage());
        LoraConfig head = LoraConfig.fromJson(JSON.readTree("{\"peft_type\": \"LORA\", \"task_type\": \"SEQ_CLS\","
                + " \"modules_to_save\": [\"classifier\", \"score\"]}"), PeftTaskType.SEQ_CLS);
        assertEquals(new LoraConfig(8, 8, 0, null, false, null), head);
        assertEquals("[\"classifier\",\"score\"]", head.toJson(false, PeftTaskType.SEQ_CLS).get("modules_to_save").toString());
        e = assertThrows(IllegalArgumentException.class, () -> new TargetModules.Regex("q_proj("));
        assertTrue(e.getMessage().startsWith("target_modules: 'q_proj(' is not a valid regular expression"));
    }
}
