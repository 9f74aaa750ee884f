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
import org.align4j.data.Example;
import org.align4j.model.CausalLM;
import org.align4j.model.EmbeddedModel;
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
        String key = new DiceExperiment(DiceExperiment.Settings.of(ExperimentBudget.SMOKE), out, 42, System.out, false)
                .runKey();
        assertTrue(key.startsWith("smoke-seed42-"), key);
        for (String f : List.of("dice.json", "reward.png", "win_rate.png", "length.png", "report.md",
                "round0-" + key + "/model.safetensors", "round0-informative-" + key + "/model.safetensors",
                "variants-" + key + "/dice/dice_summary.json",
                "variants-" + key + "/no-replay/round_2/dpo/model.safetensors")) {
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
            if (variant.get("stopped").isNull()) {
                assertEquals(3, rounds.size(), name);
            } else {
                // a round without a pair to train on ends the variant there, said in one line
                assertTrue(rounds.size() < 3 && variant.get("stopped").asText().startsWith("round " + rounds.size()
                        + ": no preference pair to train on"), variant.toString());
                assertTrue(Files.readString(out.resolve("report.md")).contains(name + " stopped early: round "), name);
            }
            for (int k = 0; k < rounds.size(); k++) {
                JsonNode p = rounds.get(k);
                assertEquals(k, p.get("round").asInt());
                for (String field : List.of("reward", "kl", "win_rate", "mean_response_tokens", "mean_response_chars",
                        "response_reward", "implicit_accuracy", "implicit_accuracy_std_err")) {
                    assertTrue(Double.isFinite(p.get(field).asDouble()), name + " round " + k + " " + field);
                }
                assertEquals(k == 0, p.get("dice").isNull(), name + " round " + k);
            }
            assertEquals(name.equals(DiceExperiment.INFORMATIVE), !round0.equals(rounds.get(0)), name);
            assertEquals(0.5, rounds.get(0).get("win_rate").asDouble(), "against its own round 0");
            assertTrue(variant.get("stopped").isNull() || name.equals(DiceExperiment.INFORMATIVE),
                    "only the informative start may stop early at smoke: " + name);
            if (rounds.size() < 2) {
                continue;
            }
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
        assertEquals("NaN", results.get("sft").get("implicit_accuracy").asText(), "the SFT model has no implicit reward");
        // round 0 is DPO on pairs ranked by the ground-truth reward: it raises that reward over the SFT model's
        assertTrue(round0.get("reward").asDouble() > results.get("sft").get("reward").asDouble(), results.toString());
        assertTrue(results.get("setup").get("stop_tokens").size() > 1);
        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("**Result at this scale (budget `smoke`): full DICE"), report);
        assertTrue(report.contains("| no-replay | 2 | trained |") && report.contains("win rate"), report);
        assertTrue(report.contains("**DICE's premise.** Round 1 ranks its pairs with round 0's implicit reward."),
                report);
        JsonNode informative = results.get("informative_verdict");
        assertEquals(informative.get("premise_accuracy").asDouble(), results.get("variants")
                .get(DiceExperiment.INFORMATIVE).get("rounds").get(0).get("implicit_accuracy").asDouble());
        assertEquals(4 * setup(results).get("train_prompts").asInt(),
                setup(results).get("informative_train_prompts").asInt());
        assertTrue(report.contains("round 0 was trained by this run, every DICE round was computed by this run"),
                report);
        JsonNode setup = setup(results);
        int replay = setup.get("replay_pairs").asInt();
        assertTrue(replay > 0 && replay <= setup.get("train_prompts").asInt(), "replay pool " + replay);
        assertEquals(4, setup.get("min_valid_samples").asInt());

        // a second run in the same folder evaluates the models of the first and says so
        assertEquals(0, Main.run("experiment", "dice", "--budget", "smoke", "--output", out.toString()));
        JsonNode again = new ObjectMapper().readTree(out.resolve("dice.json").toFile());
        assertTrue(again.get("sft").get("cached").asBoolean());
        for (String name : DiceExperiment.VARIANTS) {
            for (JsonNode p : again.get("variants").get(name).get("rounds")) {
                assertTrue(p.get("cached").asBoolean(), name + " round " + p.get("round"));
            }
            assertEquals(results.get("variants").get(name).get("rounds").get(1).get("reward"),
                    again.get("variants").get(name).get("rounds").get(1).get("reward"), name);
        }
        String cachedReport = Files.readString(out.resolve("report.md"));
        assertTrue(cachedReport.contains("| no-replay | 2 | cached |"), cachedReport);
        assertTrue(cachedReport.contains("The SFT model was read from the cache, round 0 was read from an earlier run,"
                + " every DICE round was read from an earlier run (only evaluated here)"), cachedReport);
    }

    private static JsonNode setup(JsonNode results) {
        return results.get("setup");
    }

    @Test
    void replayPoolKeepsTheFirstPairOfEachPrompt() {
        int[] a = {1, 2};
        int[] b = {3};
        List<Example> offline = List.of(pair("a0", a), pair("a1", a), pair("b0", b), pair("a2", a), pair("b1", b));
        assertEquals(List.of("a0", "b0"), DiceExperiment.replayPool(offline).stream().map(Example::source).toList());
    }

    private static Example pair(String source, int[] prompt) {
        return new Example.TokenizedPreference(source, prompt, new int[] {5}, new int[] {6});
    }

    @Test
    void winsCountOneTiesOneHalf() {
        assertArrayEquals(new double[] {1, 0.5, 0}, DiceExperiment.outcomes(new double[] {0.7, 0.5, 0.2},
                new double[] {0.6, 0.5, 0.3}));
        DiceExperimentResult.RoundPoint r0 = new DiceExperimentResult.RoundPoint(0, 0.50, 0.01, 0, 0, 0.5, 0, 0.5, 5,
                20, 1, 0.6, 0.04, false, null);
        DiceExperimentResult.RoundPoint better = new DiceExperimentResult.RoundPoint(2, 0.55, 0.01, 1, 0, 0.6, 0.02,
                0.6, 5, 20, 1, 0.6, 0.05, false, null);
        DiceExperimentResult.RoundPoint same = new DiceExperimentResult.RoundPoint(2, 0.51, 0.01, 1, 0, 0.52, 0.02,
                0.5, 5, 20, 1, 0.6, 0.05, false, null);
        assertTrue(verdict(r0, better).improved());
        assertFalse(verdict(r0, same).improved() || verdict(r0, same).worse());
        assertTrue(verdict(better, r0).worse());
        assertTrue(verdict(r0, same).premiseHeld(), "0.6 ± 0.04 is more than two standard errors above 1/2");
        DiceExperimentResult.RoundPoint chance = new DiceExperimentResult.RoundPoint(0, 0.50, 0.01, 0, 0, 0.5, 0, 0.5,
                5, 20, 1, 0.55, 0.03, false, null);
        assertFalse(verdict(chance, better).premiseHeld(), "0.55 ± 0.03 is not");
        assertEquals(2, verdict(chance, better).lastRound());
        for (ExperimentBudget b : ExperimentBudget.values()) {
            DiceExperiment.Settings s = DiceExperiment.Settings.of(b);
            assertEquals(s.task().trainPrompts() / s.batchSize(), s.roundSteps(), b.label());
            assertTrue(s.roundSteps() < s.round0Steps(), b.label());
        }
    }

    private static DiceExperimentResult.Verdict verdict(DiceExperimentResult.RoundPoint round0,
                                                        DiceExperimentResult.RoundPoint last) {
        return DiceExperiment.verdict(new DiceExperimentResult.VariantResult("", 0.5, "0", List.of(round0, last), null,
                1));
    }

    @Test
    void implicitRewardsOfAPolicyAgainstItselfTieOnEveryPair() {
        CausalLM model = EmbeddedModel.randomInit(3);
        List<Example> pairs = List.of(new Example.TokenizedPreference("p:1", new int[] {1, 2}, new int[] {5, 6},
                new int[] {7}), new Example.TokenizedPreference("p:2", new int[] {3}, new int[] {9}, new int[] {10, 11}));
        assertArrayEquals(new double[] {0.5, 0.5}, DiceExperiment.implicitRankings(model, model, pairs));
        CausalLM other = EmbeddedModel.randomInit(4);
        double[] ranked = DiceExperiment.implicitRankings(model, other, pairs);
        for (double r : ranked) {
            assertTrue(r == 0 || r == 1, "distinct models rank every pair: " + r);
        }
    }
}
