package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.align4j.align.cpo.CpoConfig;
import org.align4j.align.cpo.OrpoConfig;
import org.align4j.align.kto.KtoConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code align4j cpo}, {@code align4j orpo} and {@code align4j kto} end to end on a small random model, and their refusals. */
class CpoCommandTest {
    @TempDir
    static Path tmp;
    static Path model;
    static Path pairs;

    @BeforeAll
    static void write() throws IOException {
        model = SmallTextModel.write(tmp.resolve("model"));
        pairs = Files.write(tmp.resolve("pairs.jsonl"), List.of(
                "{\"prompt\": \"She felt\", \"chosen\": \" happy and glad.\", \"rejected\": \" sad.\"}",
                "{\"prompt\": \"The day was\", \"chosen\": \" warm and bright.\", \"rejected\": \" cold.\"}"));
    }

    @Test
    void simpoTrainsAndEvaluates() throws IOException {
        Path out = tmp.resolve("simpo");
        CliRun run = CliRun.of("cpo", "--model", model.toString(), "--data", pairs.toString(), "--eval-data",
                pairs.toString(), "--output", out.toString(), "--loss-type", "simpo", "--cpo-alpha", "0",
                "--max-steps", "2", "--logging-steps", "1", "--eval-strategy", "steps", "--eval-steps", "2",
                "--disable-tqdm");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("cpo: 2 steps on 2 pairs"), run.out());
        String metrics = Files.readString(out.resolve("metrics.jsonl"));
        assertTrue(metrics.contains("\"eval_rewards/margins\"") && metrics.contains("\"nll_loss\":0.0"), metrics);
        assertTrue(Files.readString(out.resolve(CpoConfig.FILE_NAME)).contains("\"loss_type\" : \"simpo\""));
        assertTrue(Files.isRegularFile(out.resolve("rewards_margins.png")));
    }

    @Test
    void orpoTrainsALoraAdapter() throws IOException {
        Path out = tmp.resolve("orpo");
        CliRun run = CliRun.of("orpo", "--model", model.toString(), "--data", pairs.toString(), "--output",
                out.toString(), "--use-peft", "--max-steps", "2", "--logging-steps", "1", "--disable-tqdm");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(Files.readString(out.resolve("metrics.jsonl")).contains("\"log_odds_ratio\""));
        assertTrue(Files.isRegularFile(out.resolve(OrpoConfig.FILE_NAME)));
        assertTrue(Files.isRegularFile(out.resolve("adapter_model.safetensors")));
    }

    @Test
    void badOptionsAreOneLineAndExitCodeTwo() {
        CliRun type = CliRun.of("cpo", "--model", model.toString(), "--data", pairs.toString(), "--output",
                tmp.resolve("bad1").toString(), "--loss-type", "kto");
        assertEquals(2, type.exitCode());
        assertEquals("align4j cpo: --loss-type: loss_type must be one of sigmoid, hinge, ipo, simpo; got 'kto'",
                type.err().strip());
        CliRun smoothing = CliRun.of("cpo", "--model", model.toString(), "--data", pairs.toString(), "--output",
                tmp.resolve("bad2").toString(), "--loss-type", "hinge", "--label-smoothing", "0.1");
        assertEquals(2, smoothing.exitCode());
        assertTrue(smoothing.err().contains("label_smoothing applies to the sigmoid and simpo losses only"),
                smoothing.err());
        CliRun completion = CliRun.of("orpo", "--model", model.toString(), "--data", pairs.toString(), "--output",
                tmp.resolve("bad3").toString(), "--max-completion-length", "64");
        assertEquals(2, completion.exitCode());
        assertTrue(completion.err().contains("option 'max_completion_length' = 64 is not supported"),
                completion.err());
    }

    @Test
    void ktoTrainsOnUnpairedData() throws IOException {
        Path unpaired = Files.write(tmp.resolve("unpaired.jsonl"), List.of(
                "{\"prompt\": \"She felt\", \"completion\": \" happy.\", \"label\": true}",
                "{\"prompt\": \"She felt\", \"completion\": \" awful.\", \"label\": false}",
                "{\"prompt\": \"The day was\", \"completion\": \" bright.\", \"label\": true}",
                "{\"prompt\": \"The day was\", \"completion\": \" grim.\", \"label\": false}"));
        Path out = tmp.resolve("kto");
        CliRun run = CliRun.of("kto", "--model", model.toString(), "--data", unpaired.toString(), "--output",
                out.toString(), "--per-device-train-batch-size", "2", "--max-steps", "2", "--logging-steps", "1",
                "--disable-tqdm");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("kto: 2 steps on 4 examples"), run.out());
        String metrics = Files.readString(out.resolve("metrics.jsonl"));
        assertTrue(metrics.contains("\"kl\"") && metrics.contains("\"rewards/margins\""), metrics);
        assertTrue(Files.readString(out.resolve(KtoConfig.FILE_NAME)).contains("\"desirable_weight\" : 1.0"));
        Path badLabel = Files.write(tmp.resolve("bad-label.jsonl"), List.of(
                "{\"prompt\": \"a\", \"completion\": \"b\", \"label\": \"yes\"}"));
        CliRun label = CliRun.of("kto", "--model", model.toString(), "--data", badLabel.toString(), "--output",
                tmp.resolve("kto-bad").toString());
        assertEquals(2, label.exitCode());
        assertEquals("align4j kto: bad-label.jsonl:1: field 'label' must be true or false, got string",
                label.err().strip());
        CliRun shuffled = CliRun.of("kto", "--model", model.toString(), "--data", unpaired.toString(), "--output",
                tmp.resolve("kto-random").toString(), "--train-sampling-strategy", "random");
        assertEquals(2, shuffled.exitCode());
        assertTrue(shuffled.err().contains("needs train_sampling_strategy sequential"), shuffled.err());
    }
}
