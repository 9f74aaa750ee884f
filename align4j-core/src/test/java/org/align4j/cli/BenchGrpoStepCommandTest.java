package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code align4j bench grpo-step}: the share of a step spent generating, and completions per second. */
class BenchGrpoStepCommandTest {

    @Test
    void reportsTheGenerationShareAndCompletionsPerSecond() {
        CliRun run = CliRun.of("bench", "grpo-step", "--arch", "llama", "--preset", "tiny", "--generations", "2",
                "--completion-length", "3", "--steps", "2", "--warmup", "1");
        assertEquals(0, run.exitCode(), run.err());
        Matcher m = Pattern.compile("generation: ([0-9.]+)% of a step; ([0-9.]+) completions/s \\(([0-9.]+) tokens/s\\)")
                .matcher(run.out());
        assertTrue(m.find(), run.out());
        double share = Double.parseDouble(m.group(1));
        assertTrue(share > 0 && share < 100, run.out());
        assertEquals(3 * Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)), 0.2, run.out());
        assertEquals(3, run.out().lines().filter(l -> l.trim().startsWith("step ")).count(), run.out());
    }

    @Test
    void aGroupOfOneIsRefused() {
        CliRun run = CliRun.of("bench", "grpo-step", "--arch", "llama", "--preset", "tiny", "--generations", "1");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("--generations must be >= 2"), run.err());
    }
}
