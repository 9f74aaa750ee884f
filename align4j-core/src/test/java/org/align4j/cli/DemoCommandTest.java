package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A smoke run of {@code align4j demo} (a few steps of the real pipeline). */
class DemoCommandTest {
    @TempDir
    Path tmp;

    /**
     * SFT writes a checkpoint that loads again; DPO on the model's own AFINN-ranked samples (16 pairs, two epochs of
     * two steps) raises the reward accuracy and margin from the untrained step's 0 and lowers the loss below ln 2.
     */
    @Test
    void smokeRunTrainsSftThenDpoRaisesRewardAccuracyAndMargin() throws IOException {
        Path out = tmp.resolve("demo");
        CliRun run = CliRun.of("demo", "--output", out.toString(), "--max-steps", "3", "--seq", "32",
                "--dpo-steps", "4", "--dpo-prompts", "16");
        assertEquals(0, run.exitCode(), run.err());
        for (String f : List.of("sft/config.json", "sft/model.safetensors", "sft/tokenizer.json", "sft/metrics.jsonl",
                "sft/training_loss.png", "dpo/model.safetensors", "dpo/rewards_margins.png",
                "dpo/rewards_accuracies.png")) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        List<JsonNode> steps = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(out.resolve("dpo/metrics.jsonl"))) {
            JsonNode row = json.readTree(line);
            if (row.has("rewards/margins")) {
                steps.add(row);
            }
        }
        assertEquals(4, steps.size(), steps.toString());
        JsonNode first = steps.getFirst();
        JsonNode last = steps.getLast();
        assertEquals(0.0, first.get("rewards/margins").asDouble(), "before any update the policy is the reference");
        assertTrue(last.get("rewards/accuracies").asDouble() > first.get("rewards/accuracies").asDouble(),
                steps.toString());
        assertTrue(last.get("rewards/margins").asDouble() > 0.1, steps.toString());
        assertTrue(last.get("loss").asDouble() < Math.log(2) - 0.1, steps.toString());
        assertTrue(run.out().contains("DPO rewards/accuracies 0.00 -> "), run.out());
        assertEquals(0, Main.run("generate", "--model", out.resolve("dpo").toString(), "--prompt", "The house was",
                "--max-new-tokens", "5"));
    }
}
