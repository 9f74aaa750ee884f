package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.align4j.align.grpo.GrpoConfig;
import org.align4j.align.grpo.RlooConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code align4j grpo} and {@code align4j rloo} end to end on a small random model, and their refusals. */
class GrpoCommandTest {
    @TempDir
    static Path tmp;
    static Path model;
    static Path prompts;

    @BeforeAll
    static void write() throws IOException {
        model = SmallTextModel.write(tmp.resolve("model"));
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            lines.add("{\"prompt\": \"The story of day " + i + "\", \"answer\": \"good\"}");
        }
        prompts = Files.write(tmp.resolve("prompts.jsonl"), lines);
    }

    /** The command's arguments: a small run's defaults, each replaced where {@code extra} gives the flag. */
    private static String[] args(String command, String run, String... extra) {
        List<String> all = new ArrayList<>(List.of(command, "--model", model.toString(), "--data", prompts.toString(),
                "--output", tmp.resolve(run).toString(), "--disable-tqdm"));
        List<String> given = List.of(extra);
        String[][] defaults = {{"--max-completion-length", "6"}, {"--per-device-train-batch-size", "4"},
                {"--max-steps", "2"}, {"--num-generations", "4"}, {"--logging-steps", "1"}};
        for (String[] flag : defaults) {
            if (!given.contains(flag[0])) {
                all.addAll(List.of(flag));
            }
        }
        all.addAll(given);
        return all.toArray(String[]::new);
    }

    @Test
    void grpoTrainsWithBuiltInRewardFunctions() throws IOException {
        CliRun run = CliRun.of(args("grpo", "grpo", "--reward-funcs", "afinn", "exact_match:answer",
                "format:.*[.!?]", "--reward-weights", "[1, 0.5, 0.25]", "--loss-type", "dr_grpo", "--beta", "0.02"));
        assertEquals(0, run.exitCode(), run.err().lines().filter(l -> l.startsWith("align4j")).toList().toString());
        assertTrue(run.out().contains("grpo: 2 steps on 8 prompts"), run.out());
        Path dir = tmp.resolve("grpo");
        String metrics = Files.readString(dir.resolve("metrics.jsonl"));
        assertTrue(metrics.contains("\"rewards/exact_match/mean\"") && metrics.contains("\"kl\""), metrics);
        String config = Files.readString(dir.resolve(GrpoConfig.FILE_NAME));
        assertTrue(config.contains("\"loss_type\" : \"dr_grpo\"") && config.contains("\"num_generations\" : 4"),
                config);
        assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")));
        assertTrue(Files.isRegularFile(dir.resolve("report.html")));
    }

    @Test
    void rlooTrainsWithARewardModel() throws IOException {
        Path pairs = Files.write(tmp.resolve("pairs.jsonl"), List.of(
                "{\"prompt\": \"It was\", \"chosen\": \" a happy day.\", \"rejected\": \" a sad day.\"}",
                "{\"prompt\": \"She felt\", \"chosen\": \" glad.\", \"rejected\": \" awful.\"}"));
        Path rm = tmp.resolve("rm");
        CliRun reward = CliRun.of("rm", "--model", model.toString(), "--data", pairs.toString(), "--output",
                rm.toString(), "--max-steps", "1", "--per-device-train-batch-size", "2", "--disable-tqdm");
        assertEquals(0, reward.exitCode(), reward.err());
        CliRun run = CliRun.of(args("rloo", "rloo", "--reward-funcs", rm.toString(), "--use-peft"));
        assertEquals(0, run.exitCode(), run.err());
        Path dir = tmp.resolve("rloo");
        assertTrue(Files.readString(dir.resolve("metrics.jsonl")).contains("\"rewards/rm/mean\""));
        assertTrue(Files.isRegularFile(dir.resolve(RlooConfig.FILE_NAME)));
        assertTrue(Files.isRegularFile(dir.resolve("adapter_model.safetensors")));
    }

    @Test
    void badInputIsOneLineAndExitCodeTwo() throws IOException {
        assertRefused(CliRun.of(args("grpo", "r1", "--reward-funcs", "sentiment")),
                "align4j grpo: unknown reward function 'sentiment': expected afinn, length, format:REGEX, "
                        + "exact_match:COLUMN or a reward model folder");
        assertRefused(CliRun.of(args("grpo", "r2", "--reward-funcs", "afinn", "--num-generations", "3")),
                "align4j grpo: command line: generation_batch_size (4) must be divisible by num_generations (3)");
        assertRefused(CliRun.of(args("grpo", "r3", "--reward-funcs", "afinn", "--loss-type", "sapo")),
                "align4j grpo: --loss-type: loss_type 'sapo' is one of TRL's that align4j does not implement; "
                        + "supported: grpo, dr_grpo, dapo, bnpo");
        assertRefused(CliRun.of(args("grpo", "r4", "--reward-funcs", "format:(")),
                "align4j grpo: reward function format: invalid regular expression '(': Unclosed group");
        Path preference = Files.write(tmp.resolve("pairs-as-prompts.jsonl"), List.of(
                "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}"));
        CliRun wrongData = CliRun.of("grpo", "--model", model.toString(), "--data", preference.toString(),
                "--reward-funcs", "afinn", "--output", tmp.resolve("r5").toString());
        assertRefused(wrongData, "align4j grpo: " + preference.getFileName()
                + ":1: expected a prompt-only example {\"prompt\": ...}, got Preference");
        assertRefused(CliRun.of(args("rloo", "r6", "--reward-funcs", "afinn", "--reward-weights", "[1, 2]")),
                "align4j rloo: reward_weights has 2 entries for 1 reward functions");
        assertRefused(CliRun.of(args("grpo", "r7", "--reward-funcs", "afinn", "--max-completion-length", "100000")),
                "align4j grpo: " + prompts.getFileName() + ":1: the prompt's");
    }

    private static void assertRefused(CliRun run, String expectedStart) {
        assertEquals(2, run.exitCode(), run.err());
        String err = run.err().strip();
        assertTrue(err.startsWith(expectedStart) || err.contains(expectedStart), err);
        assertEquals(1, err.lines().filter(l -> l.startsWith("align4j")).count(), err);
    }
}
