package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.align4j.data.BrownCorpus;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.HfModels;
import org.align4j.model.ModelConfig;
import org.align4j.model.Models;
import org.align4j.model.io.Dtype;
import org.align4j.quant.PackedCheckpoint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code align4j quantize} (post-training and QAT), {@code generate} on its output, and {@code bench bitnet}. */
class QuantizeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static Path model;
    static Path data;

    /** Exit code and standard output of one {@code align4j} run. */
    private record Result(int code, String out) {
    }

    private static Result run(String... args) {
        PrintStream out = System.out;
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Result(code, stdout.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
        }
    }

    @BeforeAll
    static void smallModelAndData() throws IOException {
        ObjectNode config = EmbeddedModel.config().json().deepCopy();
        config.put("hidden_size", 32).put("intermediate_size", 64).put("num_hidden_layers", 1)
                .put("num_attention_heads", 2).put("num_key_value_heads", 1).put("head_dim", 16);
        model = tmp.resolve("model");
        HfModels.save(Models.randomInit(ModelConfig.fromJson(config, "test"), 5), model, Dtype.F32, null, 0);
        EmbeddedModel.writeTokenizer(model);
        List<String> lines = new ArrayList<>();
        for (String p : BrownCorpus.paragraphs().subList(10, 30)) {
            lines.add(JSON.writeValueAsString(JSON.createObjectNode().put("text", p.substring(0,
                    Math.min(p.length(), 120)))));
        }
        data = tmp.resolve("train.jsonl");
        Files.write(data, lines);
    }

    @Test
    void packsAModelThatGenerateRuns() {
        for (String bits : new String[] {"1.58", "1"}) {
            Path out = tmp.resolve("packed-" + bits);
            Result quantized = run("quantize", "--model", model.toString(), "--output", out.toString(), "--bits", bits);
            assertEquals(0, quantized.code());
            assertTrue(quantized.out().contains("packed 7 linear modules"), quantized.out());
            assertTrue(PackedCheckpoint.isPacked(HfModels.readConfig(out)));
            assertTrue(Files.exists(out.resolve("tokenizer.json")));
            Result generated = run("generate", "--model", out.toString(), "--prompt-ids", "[[1, 2, 3]]",
                    "--max-new-tokens", "5");
            assertEquals(0, generated.code());
            assertTrue(generated.out().startsWith("["), generated.out());
        }
    }

    @Test
    void quantisationAwareTrainingRunsTheSftPipeline() throws IOException {
        Path out = tmp.resolve("qat");
        Path run = tmp.resolve("qat-run");
        Result result = run("quantize", "--model", model.toString(), "--output", out.toString(), "--qat", "--data",
                data.toString(), "--run-dir", run.toString(), "--max-steps", "6", "--learning-rate", "3e-2",
                "--per-device-train-batch-size", "4", "--logging-steps", "1", "--max-length", "48", "--disable-tqdm");
        assertEquals(0, result.code(), result.out());
        List<Double> losses = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            if (JSON.readTree(line).has("loss")) {
                losses.add(JSON.readTree(line).get("loss").asDouble());
            }
        }
        assertEquals(6, losses.size());
        assertTrue(losses.getLast() < losses.getFirst(), "QAT loss " + losses);
        assertTrue(PackedCheckpoint.isPacked(HfModels.readConfig(out)));
        assertNotEquals(0, run("quantize", "--model", model.toString(), "--output", out.toString(), "--max-steps",
                "3").code(), "training options need --qat");
    }

    @Test
    void benchBitnetReportsEveryShape() {
        Result result = run("bench", "bitnet", "--shapes", "64x96,32x200", "--tokens", "3", "--millis", "5");
        assertEquals(0, result.code());
        assertTrue(result.out().contains("64x96") && result.out().contains("32x200"), result.out());
    }
}
