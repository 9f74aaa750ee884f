package org.align4j.align.dice;

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
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.align4j.align.TinyModels;
import org.align4j.align.dpo.DpoConfig;
import org.align4j.align.dpo.DpoRounds;
import org.align4j.data.Example;
import org.align4j.model.CausalLM;
import org.align4j.model.GenerationConfig;
import org.align4j.model.HfModelWriter;
import org.align4j.model.HfModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DiceLoop} as an experiment calls it: token-id prompts, lengths in tokens, no tokenizer, a listener. */
class DiceLoopTest {
    @TempDir
    Path dir;

    private static DiceConfig config(int rounds) {
        return config(rounds, IntStream.range(0, 28).boxed().toList());
    }

    private static DiceConfig config(int rounds, List<Integer> eos) {
        GenerationConfig generation = new GenerationConfig(5, true, 1.0, 0, 1.0, eos, null, 7);
        DpoConfig dpo = DpoConfig.defaults().withOptions(Map.of("max_steps", 2, "per_device_train_batch_size", 2,
                "learning_rate", 1e-2, "save_strategy", "no", "disable_tqdm", true, "logging_steps", 1,
                "max_length", 32, "plot_loss", false));
        return new DiceConfig(rounds, 4, generation, 0.5, DiceConfig.LengthUnit.TOKENS,
                DiceConfig.parseAlphaGrid("0:2:0.05"), 2, 3, dpo);
    }

    private static List<Example> offline() {
        List<Example> pairs = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            pairs.add(new Example.TokenizedPreference("offline " + i, new int[] {30 + i % 3, 31}, new int[] {2, 3},
                    new int[] {4}));
        }
        return pairs;
    }

    @Test
    void roundsRunOnTokenPromptsAndALongerRunResumesFromTheRoundsThatExist() throws IOException {
        int[][] prompts = {{30, 31, 32}, {33, 34}, {35, 36, 37}};
        List<String> events = new ArrayList<>();
        DpoRounds.Listener listener = (round, stage, skipped) -> events.add(round + " " + stage.folder() + " "
                + (skipped ? "skipped" : "done"));
        CausalLM policy = TinyModels.random("llama", 1);
        CausalLM reference = TinyModels.random("llama", 2);
        List<DiceRound> one = new DiceLoop(config(1), null, new HfModelWriter(null, null)).run(policy, reference,
                DicePrompt.of(prompts), offline(), dir, listener).rounds();
        assertEquals(1, one.size());
        assertEquals(List.of("1 samples done", "1 scores done", "1 pairs done", "1 train_data done", "1 dpo done"),
                events);
        JsonNode pair = new ObjectMapper().readTree(Files.readAllLines(dir.resolve("round_1/pairs/pairs.jsonl"))
                .getFirst());
        assertTrue(pair.has("prompt_ids") && pair.has("chosen_ids") && pair.has("rejected_ids"), pair.toString());
        assertEquals(pair.get("chosen_ids").size() - 1, pair.get("chosen_length").asInt(), "tokens without eos");

        events.clear();
        CausalLM fresh = TinyModels.random("llama", 1);
        DpoRounds.Run<DiceRound> run = new DiceLoop(config(2), null, new HfModelWriter(null, null)).run(fresh, reference,
                DicePrompt.of(prompts), offline(), dir, listener);
        assertNull(run.stopped());
        List<DiceRound> two = run.rounds();
        assertEquals(2, two.size());
        assertEquals(one.getFirst(), two.getFirst(), "round 1 is read back, not redone");
        assertEquals(List.of("1 samples skipped", "1 scores skipped", "1 pairs skipped", "1 train_data skipped",
                "1 dpo skipped", "2 samples done", "2 scores done", "2 pairs done", "2 train_data done", "2 dpo done"),
                events);
        ExperienceReplay.Counts replay = two.get(1).replay();
        assertEquals(ExperienceReplay.counts(6, replay.generated(), 0.5).offline(), replay.offline());
        CausalLM last = HfModels.load(dir.resolve("round_2/dpo"));
        assertArrayEquals(last.parameters().get("lm_head.weight").value().data(),
                fresh.parameters().get("lm_head.weight").value().data(), "the policy holds the last round's model");
    }

    @Test
    void aRoundWithNoPairToTrainOnStopsTheRunWithOneLineAndKeepsItsSamples() throws IOException {
        int[][] prompts = {{30, 31, 32}, {33, 34}};
        DiceConfig neverEnds = config(2, List.of(4000));
        List<String> events = new ArrayList<>();
        DpoRounds.Run<DiceRound> run = new DiceLoop(neverEnds, null, new HfModelWriter(null, null)).run(TinyModels.random("llama", 1),
                TinyModels.random("llama", 2), DicePrompt.of(prompts), offline(), dir,
                (round, stage, skipped) -> events.add(round + " " + stage.folder()));
        assertEquals(List.of(), run.rounds());
        assertEquals("round 1: no preference pair to train on (0 generated pairs, 6 offline; 0 of 8 samples ended "
                + "within 5 tokens, 2 needed per prompt): sample more or longer responses", run.stopped());
        assertEquals(List.of("1 samples", "1 scores", "1 pairs"), events, "round 2 is not started");
        assertTrue(Files.isRegularFile(dir.resolve("round_1/samples/samples.jsonl")));
        assertFalse(Files.exists(dir.resolve("round_1/train_data")), "no half-written stage");
        JsonNode summary = new ObjectMapper().readTree(dir.resolve(DiceLoop.SUMMARY_FILE).toFile());
        assertEquals(run.stopped(), summary.get("stopped").asText());
        assertEquals(0, summary.get("rounds").size());
    }
}
