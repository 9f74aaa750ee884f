package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.align4j.align.panels.PanelFeedbackConfig;
import org.align4j.align.panels.PanelFeedbackLoop;
import org.align4j.align.panels.PanelModels;
import org.align4j.data.panels.Story;
import org.align4j.model.CausalLM;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.HfModels;
import org.align4j.model.io.Dtype;
import org.align4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code align4j panels improve} end to end on small models: a round's files and lines, bad input. */
class PanelsCommandImproveTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static Path builder;
    static Path writer;
    static Path texts;

    @BeforeAll
    static void modelsAndTexts() throws IOException {
        Tokenizer tokenizer = PanelModels.tokenizer(tmp.resolve("tokenizer"));
        CausalLM trained = PanelModels.builder(tokenizer, PanelModels.panels(PanelModels.STORIES), 3, 160, 2e-2,
                tmp.resolve("sft"));
        builder = tmp.resolve("builder");
        HfModels.save(trained, builder, Dtype.F32, EmbeddedModel.generationConfig(), 0);
        EmbeddedModel.writeTokenizer(builder);
        writer = SmallTextModel.write(tmp.resolve("writer"));
        List<String> lines = new ArrayList<>();
        for (Story s : PanelModels.STORIES) {
            ObjectNode row = JSON.createObjectNode().put("id", s.id());
            ArrayNode paragraphs = row.putArray("paragraphs");
            s.paragraphs().forEach(paragraphs::add);
            lines.add(JSON.writeValueAsString(row));
        }
        texts = Files.write(tmp.resolve("texts.jsonl"), lines);
    }

    private static String[] args(Path builderDir, Path writerDir, Path input, Path output) {
        return new String[] {"panels", "improve", "--builder", builderDir.toString(), "--writer", writerDir.toString(),
                "--input", input.toString(), "--output", output.toString(), "--test-size", "0.34", "--rounds", "1",
                "--num-generations", "4", "--max-new-tokens", "40", "--temperature", "0.7", "--copy-penalty", "0.5",
                "--max-steps", "2", "--per-device-train-batch-size", "2", "--learning-rate", "1e-3",
                "--save-strategy", "no", "--logging-steps", "1", "--disable-tqdm"};
    }

    @Test
    void aRoundWritesItsStagesPrintsARowPerRoundAndSavesItsOptions() throws IOException {
        Path out = tmp.resolve("run");
        CliRun run = CliRun.of(args(builder, writer, texts, out));
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("panels improve: 6 training paragraphs of 2 texts, 3 held-out paragraphs of 1"
                + " texts"), run.out());
        for (String stage : List.of("samples", "scores", "pairs", "train_data", "dpo", "eval")) {
            assertTrue(run.out().contains("panels improve: round 1 " + stage + " done"), run.out());
        }
        assertTrue(run.out().contains("panels improve: round 0: held-out loss "), run.out());
        assertTrue(run.out().contains("win rate vs round 0 0.500"), run.out());
        assertTrue(run.out().contains("panels improve: round 1: "), run.out());
        JsonNode summary = JSON.readTree(out.resolve(PanelFeedbackLoop.SUMMARY_FILE).toFile());
        assertEquals(2, summary.get("rounds").size());
        assertEquals(0.5, summary.get("copy_penalty").asDouble());
        assertTrue(Files.isRegularFile(out.resolve("round_1/dpo/tokenizer.json")), "the trained builder is a model"
                + " folder with its tokenizer");
        JsonNode saved = JSON.readTree(out.resolve(PanelFeedbackConfig.FILE_NAME).toFile());
        assertEquals(4, saved.get("num_generations").asInt(), "the loop's own options are saved");
        assertEquals(1e-3, saved.get("learning_rate").asDouble(), "and the DPO run's");
    }

    @Test
    void badInputIsOneLineWithExitCodeTwo() throws IOException {
        Path bad = Files.write(tmp.resolve("bad.jsonl"), List.of("{\"paragraphs\": [\"a\", \"b\"]}",
                "{\"paragraphs\": \"a b\"}"));
        Path noTokenizer = tmp.resolve("no-tokenizer");
        HfModels.save(PanelModels.random(2), noTokenizer, Dtype.F32, null, 0);
        Path otherTokenizer = tmp.resolve("other-tokenizer");
        HfModels.save(PanelModels.random(2), otherTokenizer, Dtype.F32, null, 0);
        EmbeddedModel.writeTokenizer(otherTokenizer);
        ObjectNode tokenizerJson = (ObjectNode) JSON.readTree(otherTokenizer.resolve("tokenizer.json").toFile());
        ((ArrayNode) tokenizerJson.get("added_tokens")).addObject().put("id", 4257).put("content", "<|pad|>")
                .put("single_word", false).put("lstrip", false).put("rstrip", false).put("normalized", false)
                .put("special", true);
        JSON.writeValue(otherTokenizer.resolve("tokenizer.json").toFile(), tokenizerJson);
        Path out = tmp.resolve("bad-run");
        List<CliRun> runs = List.of(
                CliRun.of(args(builder, writer, tmp.resolve("missing.jsonl"), out)),
                CliRun.of(args(builder, writer, bad, out)),
                CliRun.of(args(builder, noTokenizer, texts, out)),
                CliRun.of(args(builder, otherTokenizer, texts, out)),
                CliRun.of(args(builder, writer, Files.write(tmp.resolve("one.jsonl"), List.of(Files.readAllLines(texts)
                        .getFirst())), out)));
        List<String> expected = List.of("missing.jsonl", "bad.jsonl:2: field 'paragraphs' must be a list of strings",
                "no-tokenizer: no tokenizer.json", "have different tokenizers (4257 and 4258 tokens)",
                "one.jsonl: panels improve needs at least two texts");
        for (int i = 0; i < runs.size(); i++) {
            CliRun r = runs.get(i);
            assertEquals(Main.EXIT_BAD_INPUT, r.exitCode(), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains(expected.get(i)), r.err());
        }
        assertTrue(runs.stream().map(CliRun::err).collect(Collectors.joining()).startsWith("align4j improve: "),
                runs.getFirst().err());
    }
}
