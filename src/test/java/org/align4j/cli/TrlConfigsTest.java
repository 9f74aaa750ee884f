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
 * A config written for TRL runs unchanged: TRL's DPOConfig, SFTConfig and RewardConfig with every option (theirs and
 * transformers' TrainingArguments') at its default, as {@code asdict(config)} dumps it, drive dpo, sft and rm.
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
    void dpoSftAndRewardConfigsOfTrlRunUnchanged() throws Exception {
        String[][] runs = {
            {"dpo", "dpo_config.yaml", pairs.toString()},
            {"sft", "sft_config.yaml", texts.toString()},
            {"rm", "reward_config.yaml", pairs.toString()},
        };
        for (String[] r : runs) {
            Path out = tmp.resolve(r[0]);
            CliRun run = CliRun.of(r[0], "--model", model.toString(), "--data", r[2], "--config",
                    config(r[1]).toString(), "--output", out.toString(), "--max-steps", "1", "--save-strategy", "no");
            assertEquals(0, run.exitCode(), r[0] + ": " + run.err());
            assertTrue(Files.exists(out.resolve("report.html")), r[0]);
            List<String> warnings = run.err().lines().filter(l -> l.startsWith("warning: ")).toList();
            assertTrue(warnings.size() <= 12, r[0] + ": one warning line per reason, not per option:\n" + run.err());
            assertFalse(run.err().contains("dataloader_num_workers"), "a default that asks for nothing (0) is not warned");
        }
    }
}
