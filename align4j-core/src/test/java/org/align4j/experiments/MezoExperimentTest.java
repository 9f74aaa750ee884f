package org.align4j.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.align4j.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The smoke budget of {@code align4j experiment mezo}: both tasks, every optimizer, finite curves, all outputs. */
class MezoExperimentTest {
    @TempDir
    Path tmp;

    @Test
    void smokeRunWritesResultsFiguresAndReport() throws IOException {
        Path out = tmp.resolve("mezo");
        assertEquals(0, Main.run("experiment", "mezo", "--budget", "smoke", "--output", out.toString()));
        List<String> files = new ArrayList<>(List.of(MezoExperiment.RESULTS_FILE, "report.md"));
        files.addAll(MezoExperimentReport.figures("sft"));
        files.addAll(MezoExperimentReport.figures("dpo"));
        for (String f : files) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        JsonNode results = new ObjectMapper().readTree(out.resolve(MezoExperiment.RESULTS_FILE).toFile());
        assertTrue(results.get("start").get("eval_loss_after").asDouble()
                < results.get("start").get("eval_loss_before").asDouble());
        for (String task : List.of("sft", "dpo")) {
            JsonNode t = results.get("tasks").get(task);
            assertTrue(t.get("forward_only_peak_heap_bytes").asLong() > 0, task);
            List<String> runs = new ArrayList<>();
            t.get("runs").fieldNames().forEachRemaining(runs::add);
            assertEquals(List.of("adamw_torch", "mezo lr=1e-05", "mezo lr=1e-03"), runs);
            for (JsonNode run : t.get("runs")) {
                int steps = run.get("steps").asInt();
                assertEquals(steps, run.get("training").get(run.get("training").size() - 1).get("step").asInt());
                JsonNode evaluations = run.get("evaluations");
                assertEquals(List.of(0L, (long) steps / 2, (long) steps), List.of(evaluations.get(0).get("step")
                        .asLong(), evaluations.get(1).get("step").asLong(), evaluations.get(2).get("step").asLong()));
                double previousSeconds = 0;
                for (JsonNode p : run.get("training")) {
                    double loss = p.get("loss").asDouble();
                    assertTrue(Double.isFinite(loss) && loss > 0, run.toString());
                    assertTrue(p.get("seconds").asDouble() >= previousSeconds, run.toString());
                    previousSeconds = p.get("seconds").asDouble();
                }
                for (JsonNode p : evaluations) {
                    assertTrue(Double.isFinite(p.get("loss").asDouble()), run.toString());
                }
                assertTrue(run.get("train_seconds").asDouble() > 0 && run.get("peak_heap_bytes").asLong() > 0);
            }
            assertTrue(t.get("runs").get("adamw_torch").get("evaluations").get(2).get("loss").asDouble()
                    < t.get("runs").get("adamw_torch").get("evaluations").get(0).get("loss").asDouble(), task);
        }
        assertEquals(Math.log(2), results.get("tasks").get("dpo").get("runs").get("adamw_torch").get("evaluations")
                .get(0).get("loss").asDouble(), 1e-12);
        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("| mezo lr=1e-05 |") && report.contains("## DPO"), report);
    }

    @Test
    void everyBudgetEvaluatesAtWholeSteps() {
        for (ExperimentBudget b : ExperimentBudget.values()) {
            MezoExperiment.Settings s = MezoExperiment.Settings.of(b);
            assertEquals(0, s.sftSteps() % s.evaluations());
            assertEquals(0, s.dpoSteps() % s.evaluations());
            assertTrue(s.mezoLrs().contains(1e-5), "the top of the paper's grid is always run");
        }
    }
}
