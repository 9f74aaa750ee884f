package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A config written for TRL runs unchanged: TRL's DPOConfig, SFTConfig, RewardConfig, PPOConfig, GRPOConfig,
 * RLOOConfig, CPOConfig, ORPOConfig and KTOConfig with every option (theirs and transformers' TrainingArguments') at
 * its default, as {@code asdict(config)} dumps it, drive dpo, sft, rm, ppo, grpo, rloo, cpo, orpo and kto.
 */
class TrlConfigsTest {
    @TempDir
    static Path tmp;
    static Path model;
    static Path pairs;
    static Path texts;

    @BeforeAll
    static void modelAndData() throws IOException {
        model = SmallTextModel.write(tmp.resolve("model"));
        pairs = tmp.resolve("pairs.jsonl");
        Files.write(pairs, List.of("{\"prompt\": \"She felt\", \"chosen\": \" happy and glad.\", \"rejected\": \" sad.\"}",
                "{\"prompt\": \"The day was\", \"chosen\": \" warm and bright.\", \"rejected\": \" cold.\"}"));
        texts = tmp.resolve("texts.jsonl");
        Files.write(texts, List.of("{\"text\": \"The old man walked along the river.\"}",
                "{\"prompt\": \"The sky was\", \"completion\": \" bright and blue.\"}"));
    }

    private static Path config(String name) throws URISyntaxException {
        return Path.of(TrlConfigsTest.class.getResource("/trl-configs/" + name).toURI());
    }

    @Test
    void everyTrainersTrlConfigRunsUnchanged() throws Exception {
        Path prompts = tmp.resolve("prompts.jsonl");
        Files.write(prompts, java.util.stream.IntStream.range(0, 8).mapToObj(i -> "{\"prompt\": \"Once upon a time "
                + i + "\"}").toList());
        String[][] runs = {
            {"dpo", "dpo_config.yaml", pairs.toString(), "--max-steps", "1"},
            {"sft", "sft_config.yaml", texts.toString(), "--max-steps", "1"},
            {"rm", "reward_config.yaml", pairs.toString(), "--max-steps", "1"},
            {"ppo", "ppo_config.yaml", prompts.toString(), "--total-episodes", "8", "--response-length", "4",
                "--reward-model", tmp.resolve("rm").toString()},
            {"grpo", "grpo_config.yaml", prompts.toString(), "--max-steps", "1", "--max-completion-length", "4",
                "--reward-funcs", "afinn"},
            {"rloo", "rloo_config.yaml", prompts.toString(), "--max-steps", "1", "--max-completion-length", "4",
                "--reward-funcs", "afinn"},
            {"cpo", "cpo_config.yaml", pairs.toString(), "--max-steps", "1"},
            {"orpo", "orpo_config.yaml", pairs.toString(), "--max-steps", "1"},
            {"kto", "kto_config.yaml", pairs.toString(), "--max-steps", "1"},
        };
        for (String[] r : runs) {
            Path out = tmp.resolve(r[0]);
            List<String> args = new java.util.ArrayList<>(List.of(r[0], "--model", model.toString(), "--data", r[2],
                    "--config", config(r[1]).toString(), "--output", out.toString(), "--save-strategy", "no"));
            args.addAll(List.of(r).subList(3, r.length));
            CliRun run = CliRun.of(args.toArray(String[]::new));
            assertEquals(0, run.exitCode(), r[0] + ": " + run.err());
            assertTrue(Files.exists(out.resolve("report.html")), r[0]);
            List<String> warnings = run.err().lines().filter(l -> l.startsWith("warning: ")).toList();
            assertTrue(warnings.size() <= 12, r[0] + ": one warning line per reason, not per option:\n" + run.err());
            assertFalse(run.err().contains("dataloader_num_workers"), "a default that asks for nothing (0) is not warned");
        }
    }

    /** A TRL command line runs too: snake_case flags, and TRL's flags that do not apply here warned about or refused. */
    @Test
    void trlCommandLinesRunUnchanged() {
        CliRun run = CliRun.of("dpo", "--model", model.toString(), "--data", pairs.toString(), "--output_dir",
                tmp.resolve("dpo-flags").toString(), "--max_steps", "1", "--per_device_train_batch_size=2", "--bf16",
                "--report_to", "none", "--save_strategy", "no");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.err().contains("warning: command line: no effect here: bf16 (training computes in float32"),
                run.err());
        CliRun removed = CliRun.of("sft", "--model", model.toString(), "--data", texts.toString(), "--output",
                tmp.resolve("sft-flags").toString(), "--evaluation_strategy", "steps");
        assertEquals(2, removed.exitCode());
        assertTrue(removed.err().contains("option 'evaluation_strategy' was removed from TRL/transformers; use"
                + " eval_strategy"), removed.err());
    }
}
