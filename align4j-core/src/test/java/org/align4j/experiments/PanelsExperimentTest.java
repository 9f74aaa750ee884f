package org.align4j.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.align4j.align.panels.PanelEvaluation;
import org.align4j.cli.Main;
import org.align4j.data.TokenizedSequence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The smoke budget of {@code align4j experiment panels}: every stage runs and writes its outputs. */
class PanelsExperimentTest {
    @TempDir
    Path tmp;

    @Test
    void smokeRunWritesResultsFiguresAndReport() throws IOException {
        Path out = tmp.resolve("panels");
        assertEquals(0, Main.run("experiment", "panels", "--budget", "smoke", "--output", out.toString()));
        for (String f : List.of("results.json", "eval_loss.png", "eval_accuracy.png", "ablation.png",
                "dose_response.png", "report.md", "runs/panel/model.safetensors", "runs/panel/tokenizer.json",
                "runs/crlft/metrics.jsonl")) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        List<String> variants = new ArrayList<>();
        results.get("variants").fieldNames().forEachRemaining(variants::add);
        assertEquals(List.of("plain", "plain-reseeded", "panel", "panel-dose", "panel-without-plan", "mixed-sft",
                "crlft", "builder"), variants);
        for (JsonNode variant : results.get("variants")) {
            JsonNode evaluations = variant.get("evaluations");
            assertEquals(List.of(0L, 8L, 16L), List.of(evaluations.get(0).get("step").asLong(),
                    evaluations.get(1).get("step").asLong(), evaluations.get(2).get("step").asLong()));
            JsonNode last = evaluations.get(2);
            assertTrue(last.get("loss").asDouble() < evaluations.get(0).get("loss").asDouble(), variant.toString());
            // smoke trains 16 steps from a 16-step base: the loss falls, the accuracy is only a share
            assertTrue(last.get("accuracy").asDouble() >= 0 && last.get("accuracy").asDouble() <= 1,
                    variant.toString());
        }
        assertTrue(results.get("variants").get("panel").get("mean_prompt_tokens").asDouble()
                > 3 * results.get("variants").get("plain").get("mean_prompt_tokens").asDouble());
        assertEquals(6, results.get("removed_at_test").size());
        assertEquals(results.get("variants").get("plain").get("evaluations").get(2).get("loss").asDouble(),
                results.get("verdict").get("plain_loss").asDouble());
        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("**Verdict at this scale (budget `smoke`): the claim"), report);
        assertTrue(report.contains("| plan |") && report.contains("Run-to-run spread"), report);

        // the fair test: the base stage's copying and the dose-response
        JsonNode base = results.get("base");
        assertEquals(16, base.get("steps").asInt());
        assertTrue(base.get("first_copy_loss").asDouble() > 0 && base.get("second_copy_loss").asDouble() > 0, base
                .toString());
        assertTrue(base.get("paragraphs").asInt() > 0 && !base.get("cached").asBoolean());
        try (var dirs = Files.list(out)) {
            assertEquals(1, dirs.filter(d -> d.getFileName().toString().startsWith("base-smoke-seed42-")
                    && Files.isRegularFile(d.resolve(PanelsExperiment.BASE_SUMMARY_FILE))).count());
        }
        JsonNode points = results.get("dose").get("points");
        assertEquals(3, points.size());
        assertEquals(1.0, points.get(2).get("overlap").asDouble(), "the whole paragraph carries all of it");
        assertTrue(points.get(0).get("overlap").asDouble() < points.get(1).get("overlap").asDouble()
                && points.get(1).get("overlap").asDouble() >= 0.5, points.toString());
        double builderOverlap = results.get("dose").get("builder_overlap").asDouble();
        assertTrue(builderOverlap > 0 && builderOverlap < 1, "the extractive plan carries part of the paragraph: "
                + builderOverlap);
        assertEquals(results.get("variants").get("panel-dose").get("evaluations").get(2).get("loss"),
                results.get("dose").get("dose_on_builder").get("loss"));
        assertEquals(points.get(2).get("loss").asDouble(), results.get("verdict").get("dose_loss_at_full").asDouble());
        assertTrue(results.get("verdict").has("dose_held") && results.get("verdict").has("base_copies"));
        assertTrue(report.contains("## A fair test: a writer that copies, and the dose-response")
                && report.contains("| 100% of the words | 1.000 |"), report);

        // the builder and its feedback rounds, one run per copy penalty
        assertTrue(results.get("variants").get("builder").get("assigned_tokens").isNull());
        JsonNode arms = results.get("feedback");
        assertEquals(List.of(0.0, 2.0), List.of(arms.get(0).get("copy_penalty").asDouble(),
                arms.get(1).get("copy_penalty").asDouble()));
        for (JsonNode arm : arms) {
            JsonNode round0 = arm.get("rounds").get(0).get("held_out");
            assertEquals(0.5, round0.get("win_rate").asDouble(), "round 0 against itself");
            assertTrue(round0.get("held_out_loss").asDouble() > 0 && round0.get("paragraphs").asInt() == 4, arm
                    .toString());
            assertTrue(arm.get("rounds").size() == 2 || arm.get("stopped").asText().startsWith("round 1: "),
                    arm.toString());
        }
        assertEquals(1 - arms.get(0).get("rounds").get(0).get("held_out").get("parse_failures").asInt() / 4.0,
                results.get("verdict").get("builder_parse_share").asDouble(), 1e-12);
        assertTrue(report.contains("**Claim 2 (a model can learn to build the panels from raw text):")
                && report.contains("| 2 | 0 |"), report);

        assertEquals(0, Main.run("experiment", "panels", "--budget", "smoke", "--output", out.toString()));
        JsonNode again = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertTrue(again.get("base").get("cached").asBoolean(), "the base model is read back");
        assertEquals(base.get("second_copy_loss"), again.get("base").get("second_copy_loss"));
    }

    @Test
    void copyRowsRepeatEachCorpusSpanAfterARandomGapAndTrainOnTheRepeatOnly() {
        int[] corpus = java.util.stream.IntStream.range(1000, 1100).toArray();
        SplittableRandom random = new SplittableRandom(3);
        for (int trial = 0; trial < 50; trial++) {
            TokenizedSequence row = PanelsExperiment.copyRow(corpus, 99, random, trial);
            int[] ids = row.ids();
            boolean[] mask = row.lossMask();
            assertTrue(ids.length <= PanelsExperiment.BASE_SEQ && ids.length >= 2 * PanelsExperiment.MIN_SEGMENT + 2,
                    "length " + ids.length);
            int at = 0;
            while (at < ids.length) {
                int separator = at;
                while (ids[separator] != 99) {
                    assertFalse(mask[separator], "the first copy is not trained on");
                    separator++;
                }
                int length = separator - at;
                for (int i = at + 1; i < separator; i++) {
                    assertEquals(ids[i - 1] + 1, ids[i], "a segment is consecutive corpus tokens");
                }
                assertTrue(length >= PanelsExperiment.MIN_SEGMENT && length <= PanelsExperiment.MAX_SEGMENT,
                        "segment of " + length);
                assertFalse(mask[separator]);
                int second = separator + 1;
                while (ids[second] != 99) {
                    assertFalse(mask[second], "the gap is not trained on");
                    second++;
                }
                assertTrue(second - separator - 1 <= PanelsExperiment.MAX_GAP, "gap of " + (second - separator - 1));
                assertFalse(mask[second]);
                for (int i = 0; i < length; i++) {
                    assertEquals(ids[at + i], ids[second + 1 + i], "the repeat copies the segment");
                    assertTrue(mask[second + 1 + i], "the repeat is trained on");
                }
                assertEquals(99, ids[second + 1 + length]);
                assertFalse(mask[second + 1 + length]);
                at = second + length + 2;
            }
        }
    }

    @Test
    void feedbackThatBreaksTheBuildersFormatIsNoImprovement() {
        PanelsExperimentResult.FeedbackRound start = round(0, 5.20, 0.5, 8);
        PanelsExperimentResult.FeedbackArm better = new PanelsExperimentResult.FeedbackArm(0, List.of(start,
                round(1, 5.10, 0.7, 8)), null, 1);
        assertTrue(better.improved() && !better.formatLost());
        PanelsExperimentResult.FeedbackArm broken = new PanelsExperimentResult.FeedbackArm(0, List.of(start,
                round(1, 5.18, 0.625, 32)), null, 1);
        assertTrue(broken.formatLost());
        assertFalse(broken.improved(), "a lower loss from extractive fallbacks is not the builder's");
        assertFalse(new PanelsExperimentResult.FeedbackArm(0, List.of(start), "round 1: no pair", 1).improved());
    }

    private static PanelsExperimentResult.FeedbackRound round(int round, double loss, double winRate, int unparsed) {
        return new PanelsExperimentResult.FeedbackRound(round, 256, 100, 30,
                new PanelEvaluation(32, unparsed, loss, -loss, 0.5, -loss, winRate));
    }

    @Test
    void budgetsAreNamedAndValidated() {
        assertEquals(ExperimentBudget.SMALL, ExperimentBudget.of(" Small"));
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ExperimentBudget.of("huge")).getMessage().contains("budget must be one of smoke, small, full"));
        for (ExperimentBudget b : ExperimentBudget.values()) {
            PanelsExperiment.Settings s = PanelsExperiment.Settings.of(b);
            assertEquals(0, s.steps() % s.evaluations());
        }
    }
}
