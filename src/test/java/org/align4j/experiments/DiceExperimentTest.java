package org.align4j.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import org.align4j.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The smoke budget of {@code align4j experiment dice}: round 0, every variant's rounds, the outputs. */
class DiceExperimentTest {
    @TempDir
    Path tmp;

    @Test
    void smokeRunWritesEveryRoundOfEveryVariant() throws IOException {
        Path out = tmp.resolve("dice");
        assertEquals(0, Main.run("experiment", "dice", "--budget", "smoke", "--output", out.toString()));
        for (String f : List.of("dice.json", "reward.png", "win_rate.png", "length.png", "report.md",
                "round0-smoke-seed42/model.safetensors", "variants-smoke-seed42/dice/dice_summary.json",
                "variants-smoke-seed42/no-replay/round_2/dpo/model.safetensors")) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        JsonNode results = new ObjectMapper().readTree(out.resolve("dice.json").toFile());
        List<String> variants = new ArrayList<>();
        results.get("variants").fieldNames().forEachRemaining(variants::add);
        assertEquals(DiceExperiment.VARIANTS, variants);
        JsonNode round0 = results.get("variants").get("dice").get("rounds").get(0);
        assertEquals(0.5, round0.get("win_rate").asDouble());
        for (String name : variants) {
            JsonNode variant = results.get("variants").get(name);
            JsonNode rounds = variant.get("rounds");
            assertEquals(3, rounds.size(), name);
            for (int k = 0; k < rounds.size(); k++) {
                JsonNode p = rounds.get(k);
                assertEquals(k, p.get("round").asInt());
                for (String field : List.of("reward", "kl", "win_rate", "mean_response_tokens", "mean_response_chars",
                        "response_reward")) {
                    assertTrue(Double.isFinite(p.get(field).asDouble()), name + " round " + k + " " + field);
                }
                assertTrue(p.get("reward").asDouble() > 0 && p.get("reward").asDouble() < 1);
                assertTrue(p.get("win_rate").asDouble() >= 0 && p.get("win_rate").asDouble() <= 1);
                assertEquals(k == 0, p.get("dice").isNull(), name + " round " + k);
            }
            assertEquals(round0, rounds.get(0));
            JsonNode dice = rounds.get(1).get("dice");
            if (name.equals("no-length-reg")) {
                assertEquals(0.0, dice.get("alpha").asDouble());
            }
            if (name.equals("no-replay")) {
                assertEquals(0, dice.get("offline_taken").asInt());
            } else {
                assertTrue(dice.get("offline_taken").asInt() > 0, name);
            }
        }
        assertEquals(0.0, results.get("sft").get("kl").asDouble());
        assertTrue(results.get("setup").get("stop_tokens").size() > 1);
        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("**Result at this scale (budget `smoke`): full DICE"), report);
        assertTrue(report.contains("| no-replay | 2 |") && report.contains("win rate"), report);
    }

    @Test
    void winsCountOneTiesOneHalf() {
        assertArrayEquals(new double[] {1, 0.5, 0}, DiceExperiment.outcomes(new double[] {0.7, 0.5, 0.2},
                new double[] {0.6, 0.5, 0.3}));
        DiceExperimentResult.RoundPoint r0 = new DiceExperimentResult.RoundPoint(0, 0.50, 0.01, 0, 0, 0.5, 0, 0.5, 5,
                20, 1, null);
        DiceExperimentResult.RoundPoint better = new DiceExperimentResult.RoundPoint(2, 0.55, 0.01, 1, 0, 0.6, 0.02,
                0.6, 5, 20, 1, null);
        DiceExperimentResult.RoundPoint same = new DiceExperimentResult.RoundPoint(2, 0.51, 0.01, 1, 0, 0.52, 0.02,
                0.5, 5, 20, 1, null);
        assertTrue(DiceExperiment.verdict(r0, better).improved());
        assertFalse(DiceExperiment.verdict(r0, same).improved() || DiceExperiment.verdict(r0, same).worse());
        assertTrue(DiceExperiment.verdict(better, r0).worse());
        for (ExperimentBudget b : ExperimentBudget.values()) {
            DiceExperiment.Settings s = DiceExperiment.Settings.of(b);
            assertTrue(s.dicePrompts() < s.task().trainPrompts(), b.label());
        }
    }
}
