package org.align4j.align.panels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.align4j.align.dpo.DpoConfig;
import org.align4j.align.dpo.DpoRounds;
import org.align4j.data.panels.ParagraphPanel;
import org.align4j.model.CausalLM;
import org.align4j.model.GenerationConfig;
import org.align4j.model.HfModelWriter;
import org.align4j.model.HfModels;
import org.align4j.model.io.Dtype;
import org.align4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PanelFeedbackLoop} as the experiment calls it, on small models over the embedded tokenizer. */
class PanelFeedbackLoopTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double COPY_PENALTY = 0.5;

    @TempDir
    static Path shared;
    static Tokenizer tokenizer;
    static List<ParagraphPanel> train;
    static List<ParagraphPanel> heldOut;
    /** The builder trained to write panels in the build format, before any round. */
    static Path startingBuilder;

    @TempDir
    Path dir;

    @BeforeAll
    static void models() throws IOException {
        tokenizer = PanelModels.tokenizer(shared.resolve("tokenizer"));
        List<ParagraphPanel> all = PanelModels.panels(PanelModels.STORIES);
        train = all.subList(0, 6);
        heldOut = all.subList(6, 9);
        CausalLM builder = PanelModels.builder(tokenizer, all, 3, 160, 2e-2, shared.resolve("sft"));
        startingBuilder = shared.resolve("builder");
        HfModels.save(builder, startingBuilder, Dtype.F32, null, 0);
    }

    private static PanelFeedbackConfig config(int rounds, int maxNewTokens) {
        GenerationConfig generation = new GenerationConfig(maxNewTokens, true, 0.7, 0, 1.0, List.of(4256), null, 7);
        DpoConfig dpo = DpoConfig.defaults().withOptions(Map.of("max_steps", 2, "per_device_train_batch_size", 2,
                "learning_rate", 1e-3, "save_strategy", "no", "disable_tqdm", true, "logging_steps", 1,
                "plot_loss", false));
        return new PanelFeedbackConfig(rounds, 4, COPY_PENALTY, generation, 3, 4, dpo);
    }

    private static PanelFeedbackLoop loop(PanelFeedbackConfig config) {
        return new PanelFeedbackLoop(config, tokenizer, new HfModelWriter(null, null));
    }

    @Test
    void roundsWriteEveryStageRankByTheFeedbackAndALongerRunResumes() throws IOException {
        List<String> events = new ArrayList<>();
        DpoRounds.Listener listener = (round, stage, skipped) -> events.add(round + " " + stage.folder() + " "
                + (skipped ? "skipped" : "done"));
        CausalLM writer = PanelModels.random(4);
        DpoRounds.Run<PanelRound> one = loop(config(1, 40)).run(HfModels.load(startingBuilder), writer, train, heldOut, dir,
                listener);
        assertNull(one.stopped());
        assertEquals(List.of("0 eval done", "1 samples done", "1 scores done", "1 pairs done", "1 train_data done",
                "1 dpo done", "1 eval done"), events);
        assertEquals(2, one.rounds().size(), "round 0 and round 1");
        PanelRound start = one.rounds().getFirst();
        assertEquals(0.5, start.heldOut().winRate(), "round 0 against itself");
        assertNull(start.model());

        Path round1 = PanelFeedbackLoop.roundDirectory(dir, 1);
        for (String file : List.of("samples/samples.jsonl", "scores/scores.jsonl", "pairs/pairs.jsonl",
                "pairs/stats.json", "train_data/train.jsonl", "dpo/model.safetensors", "eval/panels.jsonl",
                "eval/metrics.json")) {
            assertTrue(Files.isRegularFile(round1.resolve(file)), file);
        }
        assertTrue(Files.isRegularFile(dir.resolve("round_0/eval/metrics.json")));
        assertFalse(Files.exists(round1.resolve("dpo.run")));

        Map<String, Double> scores = new HashMap<>();
        for (String line : Files.readAllLines(round1.resolve("scores/scores.jsonl"))) {
            JsonNode row = JSON.readTree(line);
            if (row.get("valid").asBoolean()) {
                scores.put(row.get("paragraph").asInt() + "/" + row.get("sample").asInt(), row.get("score").asDouble());
                assertEquals(row.get("log_likelihood").asDouble() - COPY_PENALTY * row.get("overlap").asDouble(),
                        row.get("score").asDouble(), 1e-12, line);
            } else {
                assertTrue(row.has("error"), line);
            }
        }
        List<String> pairs = Files.readAllLines(round1.resolve("pairs/pairs.jsonl"));
        PanelRound r1 = one.rounds().get(1);
        assertEquals(pairs.size(), r1.pairs());
        assertEquals(24, r1.candidates(), "6 paragraphs x 4 candidates");
        Map<String, Integer> kinds = new HashMap<>();
        for (String line : pairs) {
            JsonNode pair = JSON.readTree(line);
            double chosen = pair.get("chosen_score").asDouble();
            int p = pair.get("paragraph").asInt();
            assertEquals(scores.get(p + "/" + pair.get("chosen_sample").asInt()), chosen);
            for (Map.Entry<String, Double> e : scores.entrySet()) {
                if (e.getKey().startsWith(p + "/")) {
                    assertTrue(e.getValue() <= chosen, "the best valid candidate is chosen: " + line);
                }
            }
            String kind = pair.get("kind").asText();
            kinds.merge(kind, 1, Integer::sum);
            if (kind.equals("score")) {
                double rejected = pair.get("rejected_score").asDouble();
                assertTrue(chosen > rejected, line);
                assertEquals(scores.get(p + "/" + pair.get("rejected_sample").asInt()), rejected);
                for (Map.Entry<String, Double> e : scores.entrySet()) {
                    if (e.getKey().startsWith(p + "/")) {
                        assertTrue(e.getValue() >= rejected, "best against worst: " + line);
                    }
                }
            } else {
                assertEquals("format", kind);
                assertNull(scores.get(p + "/" + pair.get("rejected_sample").asInt()), "an unreadable one: " + line);
                assertTrue(pair.has("rejected_error") && !pair.has("rejected_score"), line);
            }
            assertTrue(pair.get("prompt").asText().startsWith("## Paragraphs\n")
                    && pair.get("prompt").asText().endsWith("## Panel\n"), line);
        }
        JsonNode stats = JSON.readTree(round1.resolve("pairs/stats.json").toFile());
        assertEquals(stats.get("format_pairs").asInt(), kinds.getOrDefault("format", 0));
        assertTrue(kinds.getOrDefault("score", 0) > 0, "score pairs: " + kinds);
        assertTrue(kinds.getOrDefault("format", 0) > 0, "format pairs: " + kinds);
        PanelEvaluation e = r1.heldOut();
        assertEquals(3, e.paragraphs());
        assertTrue(e.heldOutLoss() > 0 && Double.isFinite(e.heldOutLoss()), e.toString());
        assertEquals(e.meanLogLikelihood() - COPY_PENALTY * e.meanOverlap(), e.meanScore(), 1e-9);
        assertTrue(e.winRate() >= 0 && e.winRate() <= 1);
        JsonNode summary = JSON.readTree(dir.resolve(PanelFeedbackLoop.SUMMARY_FILE).toFile());
        assertEquals(2, summary.get("rounds").size());
        assertEquals(e.winRate(), summary.get("rounds").get(1).get("win_rate").asDouble());
        assertEquals("round_1/dpo", summary.get("rounds").get(1).get("model").asText());

        events.clear();
        CausalLM builder = HfModels.load(startingBuilder);
        DpoRounds.Run<PanelRound> two = loop(config(2, 40)).run(builder, writer, train, heldOut, dir, listener);
        assertNull(two.stopped());
        assertEquals(List.of("0 eval skipped", "1 samples skipped", "1 scores skipped", "1 pairs skipped",
                "1 train_data skipped", "1 dpo skipped", "1 eval skipped", "2 samples done", "2 scores done",
                "2 pairs done", "2 train_data done", "2 dpo done", "2 eval done"), events);
        assertEquals(one.rounds(), two.rounds().subList(0, 2), "rounds 0 and 1 are read back, not redone");
        assertEquals(3, two.rounds().size());
        String name = builder.parameters().keySet().iterator().next();
        assertArrayEquals(HfModels.load(dir.resolve("round_2/dpo")).parameters().get(name).value().data(),
                builder.parameters().get(name).value().data(), "the builder holds the last round's model");
    }

    @Test
    void anUntrainedBuilderFallsBackOnHeldOutPanelsAndStopsTheRunWithOneLine() throws IOException {
        List<String> events = new ArrayList<>();
        DpoRounds.Run<PanelRound> run = loop(config(2, 6)).run(PanelModels.random(1), PanelModels.random(4), train, heldOut,
                dir, (round, stage, skipped) -> events.add(round + " " + stage.folder()));
        assertEquals("round 1: no preference pair to train on (0 of 24 candidates ended within 6 tokens and parsed; "
                + "6 of 6 paragraphs had none, 0 a tie): sample more or longer candidates, "
                + "or start from a builder trained on panels build's build examples", run.stopped());
        assertEquals(List.of("0 eval", "1 samples", "1 scores", "1 pairs"), events);
        assertEquals(1, run.rounds().size());
        PanelEvaluation start = run.rounds().getFirst().heldOut();
        assertEquals(1.0, start.parseFailureShare(), "every held-out panel is the extractive fallback");
        assertEquals(0.5, start.winRate());
        assertFalse(Files.exists(dir.resolve("round_1/train_data")));
        JsonNode summary = JSON.readTree(dir.resolve(PanelFeedbackLoop.SUMMARY_FILE).toFile());
        assertEquals(run.stopped(), summary.get("stopped").asText());
        assertEquals(1, summary.get("rounds").size());
        assertEquals(1.0, summary.get("rounds").get(0).get("parse_failure_share").asDouble());
    }
}
