package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.Fixture;
import org.align4j.model.HfModels;
import org.align4j.model.ModelInput;
import org.align4j.model.Models;
import org.align4j.model.io.Dtype;
import org.align4j.model.io.HfCheckpoint;
import org.align4j.model.io.SafeTensors;
import org.align4j.model.io.SafeTensorsWriter;
import org.align4j.nn.LoraConfig;
import org.align4j.nn.LoraModel;
import org.align4j.nn.TargetModules;
import org.align4j.tensor.BFloat16;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code align4j merge} end to end, and its one-line errors. */
class MergeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** A LoRA model on the fixture with random adapters on every linear module, saved into {@code dir}. */
    private static LoraModel savedAdapter(String fixture, Path dir) {
        LoraModel lora = LoraModel.create(HfModels.load(Fixture.load(fixture).dir()),
                LoraConfig.of(4, 8, new TargetModules.AllLinear()), 1);
        SplittableRandom rng = new SplittableRandom(2);
        for (Var v : lora.parameters().values()) {
            for (int i = 0; i < v.value().size(); i++) {
                v.value().data()[i] = (float) (Models.gaussian(rng) * 0.1);
            }
        }
        lora.save(dir);
        return lora;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "qwen2-tiny"})
    void mergedCheckpointComputesWhatTheAdaptedModelDoes(String fixture) throws IOException {
        Fixture f = Fixture.load(fixture);
        Path base = tmp.resolve("base");
        Files.createDirectories(base);
        for (String file : new String[] {"config.json", "generation_config.json", "model.safetensors"}) {
            Files.copy(f.dir().resolve(file), base.resolve(file));
        }
        Files.writeString(base.resolve("tokenizer.json"), "{}");
        LoraModel lora = savedAdapter(fixture, tmp.resolve("adapter"));
        Path out = tmp.resolve("merged");
        assertEquals(0, Main.run("merge", "--model", base.toString(), "--adapter", tmp.resolve("adapter").toString(),
                "--output", out.toString()));
        CausalLM merged = HfModels.load(out);
        ModelInput in = f.lmBatch();
        Tensor expected = Ops.logits(lora.hiddenStates(Tape.inference(), in), lora.lmHead());
        Tensor actual = Ops.logits(merged.hiddenStates(Tape.inference(), in), merged.lmHead());
        double max = 0;
        for (int i = 0; i < expected.size(); i++) {
            max = Math.max(max, Math.abs(expected.get(i) - actual.get(i)));
        }
        assertTrue(max <= 1e-5, fixture + ": max |merged - adapted| " + max);
        assertEquals(layout(base), layout(out));
        assertEquals(JSON.readTree(base.resolve("config.json").toFile()), JSON.readTree(out.resolve("config.json").toFile()));
        assertEquals(JSON.readTree(base.resolve("generation_config.json").toFile()),
                JSON.readTree(out.resolve("generation_config.json").toFile()));
        assertEquals("{}", Files.readString(out.resolve("tokenizer.json")));
    }

    @Test
    void aShardedBf16BaseGivesAShardedBf16Merge() throws IOException {
        CausalLM model = HfModels.load(Fixture.load("llama-tiny").dir());
        Path base = tmp.resolve("base");
        HfModels.save(model, base, Dtype.BF16, null, 150_000);
        savedAdapter("llama-tiny", tmp.resolve("adapter"));
        Path out = tmp.resolve("merged");
        assertEquals(0, Main.run("merge", "--model", base.toString(), "--adapter", tmp.resolve("adapter").toString(),
                "--output", out.toString()));
        Map<String, String> layout = layout(out);
        assertEquals(layout(base), layout);
        assertTrue(layout.values().stream().allMatch(v -> v.startsWith("BF16")), layout.toString());
        assertTrue(Files.exists(out.resolve(HfCheckpoint.INDEX_FILE)));
        assertEquals("bfloat16", JSON.readTree(out.resolve("config.json").toFile()).get("dtype").asText());

        Path f32 = tmp.resolve("merged-f32");
        assertEquals(0, Main.run("merge", "--model", base.toString(), "--adapter", tmp.resolve("adapter").toString(),
                "--output", f32.toString(), "--save-dtype", "float32"));
        assertEquals(layout.toString().replace("BF16", "F32"), layout(f32).toString(), "same shards, in float32");
        assertEquals("float32", JSON.readTree(f32.resolve("config.json").toFile()).get("dtype").asText());
        CausalLM exact = HfModels.load(f32);
        CausalLM rounded = HfModels.load(out);
        for (String name : exact.parameters().keySet()) {
            float[] want = exact.parameters().get(name).value().data();
            float[] got = rounded.parameters().get(name).value().data();
            for (int i = 0; i < want.length; i++) {
                assertEquals(BFloat16.toFloat(BFloat16.fromFloat(want[i])), got[i], name + "[" + i + "]");
            }
        }
    }

    /** Tensor name → dtype, shape and file of a checkpoint. */
    private static Map<String, String> layout(Path dir) {
        Map<String, String> layout = new LinkedHashMap<>();
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            for (String name : new java.util.TreeSet<>(ckpt.names())) {
                layout.put(name, ckpt.info(name).dtype() + " " + java.util.Arrays.toString(ckpt.info(name).shape())
                        + " " + ckpt.fileOf(name).getFileName());
            }
        }
        return layout;
    }

    @Test
    void badInputExitsWithTwoAndOneLine() throws IOException {
        Path model = Fixture.load("llama-tiny").dir();
        Path good = tmp.resolve("good");
        savedAdapter("llama-tiny", good);

        Path extraLayer = copyOf(good, "extra-layer");
        Path weights = extraLayer.resolve(LoraModel.WEIGHTS_FILE);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(weights)) {
            st.names().forEach(n -> tensors.put(n, st.read(n)));
        }
        tensors.put("base_model.model.model.layers.7.mlp.down_proj.lora_A.weight", Tensor.zeros(4, 128));
        SafeTensorsWriter.write(weights, SafeTensorsWriter.entries(tensors, Dtype.F32));

        Path rank = copyOf(good, "rank");
        editConfig(rank, c -> c.put("r", 8));
        Path unknown = copyOf(good, "unknown");
        editConfig(unknown, c -> c.set("target_modules", JSON.createArrayNode().add("q_proj").add("query")));
        Path occupied = tmp.resolve("occupied");
        Files.createDirectories(occupied);
        Files.writeString(occupied.resolve("keep.txt"), "mine");

        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            for (Path adapter : new Path[] {extraLayer, rank, unknown, tmp.resolve("missing")}) {
                assertEquals(2, Main.run("merge", "--model", model.toString(), "--adapter", adapter.toString(),
                        "--output", tmp.resolve("out").toString()));
            }
            assertEquals(2, Main.run("merge", "--model", model.toString(), "--adapter", good.toString(),
                    "--output", occupied.toString()));
            assertEquals(2, Main.run("merge", "--model", tmp.resolve("no-model").toString(), "--adapter",
                    good.toString(), "--output", tmp.resolve("out").toString()));
        } finally {
            System.setErr(err);
        }
        String[] lines = captured.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(6, lines.length, String.join("\n", lines));
        assertTrue(lines[0].contains("adapts module 'model.layers.7.mlp.down_proj', which the llama base model does"
                + " not have"), lines[0]);
        assertTrue(lines[1].contains("has rank 4, but adapter_config.json says r = 8"), lines[1]);
        assertTrue(lines[2].contains("target_modules: 'query' matches no linear module"), lines[2]);
        assertTrue(lines[3].contains("no such adapter directory"), lines[3]);
        assertTrue(lines[4].contains("exists and is not empty"), lines[4]);
        assertTrue(lines[5].contains("no such model directory"), lines[5]);
        for (String line : lines) {
            assertTrue(line.startsWith("align4j merge: "), line);
        }
        assertTrue(Files.notExists(tmp.resolve("out")), "nothing written on error");
        assertEquals("mine", Files.readString(occupied.resolve("keep.txt")));
    }

    private Path copyOf(Path from, String name) throws IOException {
        Path to = tmp.resolve(name);
        Files.createDirectories(to);
        for (String file : new String[] {LoraModel.CONFIG_FILE, LoraModel.WEIGHTS_FILE}) {
            Files.copy(from.resolve(file), to.resolve(file));
        }
        return to;
    }

    private static void editConfig(Path dir, java.util.function.Consumer<ObjectNode> edit) throws IOException {
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve(LoraModel.CONFIG_FILE).toFile());
        edit.accept(config);
        JSON.writeValue(dir.resolve(LoraModel.CONFIG_FILE).toFile(), config);
    }
}
