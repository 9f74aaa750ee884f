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

/** The smoke budget of {@code align4j experiment sentiment}: every method runs and the outputs are sane. */
class SentimentExperimentTest {
    @TempDir
    Path tmp;

    @Test
    void smokeRunWritesTheFrontierOfEveryMethod() throws IOException {
        Path out = tmp.resolve("sentiment");
        assertEquals(0, Main.run("experiment", "sentiment", "--budget", "smoke", "--output", out.toString(),
                "--seed", "5"));
        for (String f : List.of("frontier.json", "frontier.png", "report.md", "sft-8steps-seed5/model.safetensors",
                "sft-8steps-seed5/sentiment_sft.json", "runs/dpo-beta0.1/metrics.jsonl",
                "runs/reward-model/metrics.jsonl", "runs/ppo-kl3/metrics.jsonl", "runs/ppo-gt-kl3/ppo_config.json")) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        JsonNode r = new ObjectMapper().readTree(out.resolve("frontier.json").toFile());
        List<String> methods = new ArrayList<>();
        r.get("methods").fieldNames().forEachRemaining(methods::add);
        assertEquals(List.of("dpo-beta0.05", "dpo-beta0.1", "dpo-beta1", "dpo-beta5", "preferred-ft", "unlikelihood",
                "best-of-n", "ppo-kl3", "ppo-gt-kl3", "grpo-beta0.04", "grpo-gt-beta0.04", "rloo-beta0.05",
                "rloo-gt-beta0.05", "kto-beta0.1", "orpo-beta0.1", "simpo-beta2"), methods);
        assertEquals("PPO", r.get("methods").get("ppo-kl3").get("family").asText());
        assertEquals("PPO-GT", r.get("methods").get("ppo-gt-kl3").get("family").asText());
        JsonNode sft = r.get("sft_point");
        assertEquals(0.0, sft.get("kl").asDouble());
        for (String name : methods) {
            JsonNode points = r.get("methods").get(name).get("points");
            assertEquals(3, points.size(), name);
            for (JsonNode p : points) {
                for (String field : List.of("kl", "reward", "kl_std_err", "reward_std_err")) {
                    assertTrue(p.get(field).isNumber() && Double.isFinite(p.get(field).asDouble()), name + " " + p);
                }
            }
            JsonNode first = points.get(0);
            if (!name.equals("best-of-n")) {
                // GRPO and RLOO take PPO's 4 epochs per generation batch as optimizer steps
                List<Long> steps = name.startsWith("grpo") || name.startsWith("rloo") ? List.of(0L, 8L, 16L)
                        : List.of(0L, 2L, 4L);
                assertEquals(steps, List.of(first.get("step").asLong(),
                        points.get(1).get("step").asLong(), points.get(2).get("step").asLong()), name);
                assertEquals(sft.get("reward").asDouble(), first.get("reward").asDouble(), name);
            }
            assertEquals(0.0, first.get("kl").asDouble(), 1e-9, name);
        }
        JsonNode bon = r.get("methods").get("best-of-n").get("points");
        assertEquals(List.of(1L, 2L, 4L), List.of(bon.get(0).get("step").asLong(), bon.get(1).get("step").asLong(),
                bon.get(2).get("step").asLong()));
        assertEquals(Math.log(4) - 0.75, bon.get(2).get("kl").asDouble(), 1e-12);
        JsonNode rewardModel = r.get("reward_model");
        for (String split : List.of("train", "held_out")) {
            int pairs = rewardModel.get(split + "_pairs").asInt();
            double ranked = rewardModel.get(split + "_accuracy").asDouble() * pairs;
            assertTrue(pairs > 0, rewardModel.toString());
            assertEquals(Math.rint(ranked), ranked, 1e-9, split + " accuracy is not a share of its pairs: " + rewardModel);
        }
        JsonNode beyond = r.get("beyond_paper");
        assertEquals(List.of("GRPO", "GRPO-GT", "RLOO", "RLOO-GT", "KTO", "ORPO", "SimPO"), fieldNames(beyond));
        for (String family : fieldNames(beyond)) {
            for (String reference : List.of("versus_dpo", "versus_ppo")) {
                assertTrue(beyond.get(family).get(reference).get("levels_compared").asInt() > 0, family + " " + beyond);
            }
        }
        assertTrue(Files.readString(out.resolve("report.md")).contains("## Beyond the paper"));
        JsonNode comparison = r.get("comparison");
        assertEquals(List.of("Preferred-FT", "Unlikelihood", "Best-of-N", "PPO", "PPO-GT"),
                fieldNames(comparison.get("versus")));
        for (String family : List.of("PPO", "PPO-GT")) {
            JsonNode v = comparison.get("versus").get(family);
            assertTrue(v.get("levels_compared").asInt() > 0, family + " " + v);
            assertTrue(Double.isFinite(v.get("mean_difference").asDouble()), family + " " + v);
        }
        boolean dominatesAll = true;
        boolean dominatesAllWithinNoise = true;
        for (String family : fieldNames(comparison.get("versus"))) {
            JsonNode v = comparison.get("versus").get(family);
            int compared = v.get("levels_compared").asInt();
            assertEquals(compared > 0 && v.get("levels_at_least").asInt() == compared, v.get("dominates").asBoolean(),
                    family + " " + v);
            assertEquals(compared > 0 && v.get("min_z").asDouble() >= -FrontierComparison.NOISE_SIGMAS, v.get("dominates_within_noise").asBoolean(),
                    family + " " + v);
            dominatesAll &= compared == 0 || v.get("dominates").asBoolean();
            dominatesAllWithinNoise &= compared == 0 || v.get("dominates_within_noise").asBoolean();
        }
        assertEquals(dominatesAll, comparison.get("dominates").asBoolean(), comparison.toString());
        assertEquals(dominatesAllWithinNoise, comparison.get("dominates_within_noise").asBoolean(),
                comparison.toString());
        assertEquals(List.of("DPO", "Preferred-FT", "Unlikelihood", "Best-of-N", "PPO", "PPO-GT"),
                fieldNames(comparison.get("frontiers")));
        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("**Verdict at this scale (budget `smoke`): DPO's frontier"), report);
        assertTrue(report.contains("| dpo-beta5 | DPO |"), report);
        assertTrue(report.contains("| ppo-gt-kl3 | PPO-GT |"), report);
        assertTrue(report.contains("- **DPO vs PPO: DPO's frontier "), report);
        assertTrue(report.contains("- **DPO vs PPO-GT: DPO's frontier "), report);

        assertEquals(0, Main.run("experiment", "sentiment", "--budget", "smoke", "--output", out.toString(),
                "--seed", "5"));
        JsonNode again = new ObjectMapper().readTree(out.resolve("frontier.json").toFile());
        assertTrue(again.get("sft").get("from_cache").asBoolean());
        for (String name : methods) {
            assertEquals(r.get("methods").get(name).get("points"), again.get("methods").get(name).get("points"), name);
        }
    }

    @Test
    void badBudgetIsAUsageError() {
        assertEquals(2, Main.run("experiment", "sentiment", "--budget", "huge", "--output", tmp.toString()));
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> out = new ArrayList<>();
        node.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
