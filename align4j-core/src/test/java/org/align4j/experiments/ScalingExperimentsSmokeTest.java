package org.align4j.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.align4j.cli.Main;
import org.align4j.model.EmbeddedModel;
import org.align4j.scaling.ScalingLawReport;
import org.align4j.scaling.TrainingRun;
import org.align4j.scaling.TrainingRunsCsv;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The smoke budgets of {@code scaling sweep} and {@code scaling parity}, end to end through the CLI. */
class ScalingExperimentsSmokeTest {
    @TempDir
    Path tmp;

    @Test
    void embeddedModelFamilyAtWidth256AndFourLayersIsTheEmbeddedModel() {
        var member = EmbeddedModelFamily.config(256, 4);
        var embedded = EmbeddedModel.config();
        assertEquals(embedded.intermediateSize(), member.intermediateSize());
        assertEquals(embedded.numHeads(), member.numHeads());
        assertEquals(embedded.numKvHeads(), member.numKvHeads());
        assertEquals(embedded.headDim(), member.headDim());
        long total = EmbeddedModelFamily.parameters(member);
        assertEquals(total - 4257L * 256, EmbeddedModelFamily.nonEmbeddingParameters(member));
        assertEquals(EmbeddedModel.randomInit(1).parameters().values().stream().mapToLong(v -> v.value().size()).sum(),
                total);
    }

    @Test
    void theNarrowestMemberIsMostlyItsTiedEmbedding() {
        // The sweep's report counts N with the embedding because of this share: 95% at width 16.
        var member = EmbeddedModelFamily.config(16, 1);
        long total = EmbeddedModelFamily.parameters(member);
        assertEquals(71488, total);
        assertEquals(0.953, 1 - EmbeddedModelFamily.nonEmbeddingParameters(member) / (double) total, 0.001);
    }

    @Test
    void smokeSweepTrainsTheFamilyOnIsoFlopProfilesAndFitsThem() throws IOException {
        Path out = tmp.resolve("sweep");
        assertEquals(0, Main.run("scaling", "sweep", "--budget", "smoke", "--output", out.toString()));
        List<TrainingRun> runs = TrainingRunsCsv.read(out.resolve("runs.csv"), TrainingRunsCsv.Columns.detect());
        assertEquals(6, runs.size());
        for (TrainingRun r : runs) {
            assertTrue(r.loss() < Math.log(4257), "held-out loss " + r.loss() + " is not below uniform");
        }
        List<TrainingRun> nonEmbedding = TrainingRunsCsv.read(out.resolve("runs.csv"),
                new TrainingRunsCsv.Columns("non_embedding_parameters", null, null, null));
        assertTrue(nonEmbedding.getFirst().parameters() < runs.getFirst().parameters());
        JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertTrue(results.has("held") && results.at("/approach3/parameters/alpha/value").isNumber());
        assertEquals(2, results.at("/approach2/profiles").size());
        for (String figure : ScalingLawReport.FIGURES) {
            assertTrue(Files.size(out.resolve(figure)) > 1000, figure);
        }
        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("**Claim.**"));
        assertTrue(report.contains("**Data repetition: modelled"), "the report says how repeated data is treated");
        // Epochs and effective tokens per run: D' = D within one pass, less beyond it; the runs past one pass counted.
        long training = results.at("/data/training_tokens").asLong();
        int beyond = 0;
        for (JsonNode run : results.at("/data/runs")) {
            double tokens = run.get("tokens").asDouble();
            assertEquals(tokens / training, run.get("epochs").asDouble(), 1e-9);
            if (tokens > training) {
                beyond++;
                assertTrue(run.get("effective_tokens").asDouble() < tokens);
            } else {
                assertEquals(tokens, run.get("effective_tokens").asDouble(), 1e-6);
            }
        }
        assertTrue(beyond > 0, "the smoke budget's larger runs repeat their 24 documents");
        assertEquals(beyond, results.at("/data/runs_beyond_one_pass").asInt());
        // Each profile says where its minimum lies; one that is not inside its sizes is named in the verdict.
        int interior = 0;
        for (JsonNode profile : results.at("/approach2/profiles")) {
            boolean inside = profile.get("interior").asBoolean();
            assertEquals(inside, profile.get("minimum_position").asText().equals("interior"));
            if (inside) {
                interior++;
                assertTrue(profile.get("optimal_parameters").asDouble() > profile.get("smallest_parameters").asDouble()
                        && profile.get("optimal_parameters").asDouble() < profile.get("largest_parameters").asDouble());
            } else {
                assertTrue(results.get("measured").asText().contains(
                        String.format(Locale.ROOT, "C = %.2g: ", profile.get("compute").asDouble())),
                        results.get("measured").asText());
            }
        }
        assertEquals(interior == 2, results.at("/approach2/every_minimum_interior").asBoolean());
        if (interior < 2) {
            assertFalse(results.get("held").asBoolean(), "no claim holds without two located minima");
            assertTrue(results.at("/approach2/a").isNull());
        }
    }

    @Test
    void smokeParityTrainsMlpsOfSeveralWidthsAndMeasuresPerTaskLoss() throws IOException {
        Path out = tmp.resolve("parity");
        assertEquals(0, Main.run("scaling", "parity", "--budget", "smoke", "--output", out.toString()));
        JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        JsonNode widths = results.get("widths");
        assertEquals(3, widths.size());
        double smallest = widths.get(0).get("mean_loss").asDouble();
        double largest = widths.get(2).get("mean_loss").asDouble();
        assertTrue(largest < smallest, "mean loss " + smallest + " -> " + largest);
        assertEquals(4, widths.get(2).get("task_losses").size());
        // The most frequent task is learned by the widest MLP.
        assertTrue(widths.get(2).get("task_losses").get(0).asDouble() < SparseParityExperiment.LEARNED_NATS);
        assertTrue(Files.size(out.resolve("mean-loss.png")) > 1000);
        assertTrue(Files.size(out.resolve("task-loss.png")) > 1000);
        assertTrue(Files.readString(out.resolve("report.md")).contains("**Held:**"));
    }

    @Test
    void spearmanRanksTiesByTheirMeanRank() {
        assertEquals(1, SparseParityExperiment.spearman(new double[] {0, 1, 2}, new double[] {4, 8, 16}), 1e-12);
        assertEquals(-1, SparseParityExperiment.spearman(new double[] {0, 1, 2}, new double[] {16, 8, 4}), 1e-12);
        double tied = SparseParityExperiment.spearman(new double[] {0, 1, 2, 3},
                new double[] {8, 8, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY});
        assertEquals(2 / Math.sqrt(5), tied, 1e-12);
    }

    @Test
    void anUnknownBudgetIsBadInput() {
        assertEquals(2, Main.run("scaling", "sweep", "--budget", "huge", "--output", tmp.toString()));
    }
}
