package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A smoke run of {@code align4j demo} (a few steps of the real pipeline). */
class DemoCommandTest {
    @TempDir
    Path tmp;

    @Test
    void smokeRunWritesACheckpointThatLoadsAgain() {
        Path out = tmp.resolve("demo");
        assertEquals(0, Main.run("demo", "--output", out.toString(), "--max-steps", "3", "--seq", "32",
                "--dpo-steps", "2", "--dpo-prompts", "16"));
        for (String f : List.of("sft/config.json", "sft/model.safetensors", "sft/tokenizer.json", "sft/metrics.jsonl",
                "sft/training_loss.png")) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        assertEquals(0, Main.run("generate", "--model", out.resolve("sft").toString(), "--prompt", "The house was",
                "--max-new-tokens", "5"));
    }
}
