package org.align4j.cli;

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
import org.align4j.align.ppo.PpoTrainer;
import org.align4j.data.BrownCorpus;
import org.align4j.model.HfModels;
import org.align4j.model.RewardModel;
import org.align4j.model.io.Dtype;
import org.align4j.train.RunFolder;
import org.align4j.train.RunReport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code align4j ppo} end to end on a small random model, its embedded tokenizer and a random reward model. */
class PpoCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static Path model;
    static Path rewardModel;
    static Path prompts;

    @BeforeAll
    static void models() throws IOException {
        model = SmallTextModel.write(tmp.resolve("model"));
        rewardModel = tmp.resolve("reward");
        RewardModel.fromCausalLM(HfModels.load(model), 3).save(rewardModel, Dtype.F32);
        List<String> lines = new ArrayList<>();
        for (String p : BrownCorpus.paragraphs().subList(10, 16)) {
            lines.add(JSON.writeValueAsString(JSON.createObjectNode().put("prompt", p.substring(0, Math.min(40,
                    p.length())))));
        }
        prompts = tmp.resolve("prompts.jsonl");
        Files.write(prompts, lines);
    }

    /** A bfloat16 reference (loaded from --model): the KL starts near zero, from rounding alone, and training runs. */
    @Test
    void trainsAgainstABfloat16Reference() throws IOException {
        Path out = tmp.resolve("bf16");
        CliRun run = CliRun.of("ppo", "--model", model.toString(), "--reward-model", rewardModel.toString(),
                "--data", prompts.toString(), "--output", out.toString(), "--per-device-train-batch-size", "2",
                "--total-episodes", "4", "--response-length", "5", "--learning-rate", "1e-3", "--save-strategy", "no",
                "--disable-tqdm", "--torch-dtype", "bfloat16");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("ppo: 2 updates, 4 episodes"), run.out());
        double kl = JSON.readTree(Files.readAllLines(out.resolve("metrics.jsonl")).get(0)).get("objective/kl")
                .asDouble();
        assertTrue(Double.isFinite(kl) && Math.abs(kl) < 0.05, "first update's KL to a rounded copy: " + kl);
    }

    /**
     * Under --use-peft the policy trains LoRA adapters on a frozen base, which is also the reference: the first KL is
     * exactly zero (B starts at zero), the run folder and checkpoints hold the adapter, and a resumed run (dropout
     * masks included) logs what an uninterrupted one did.
     */
    @Test
    void usePeftTrainsAdaptersAgainstTheFrozenBase() throws IOException {
        Path out = tmp.resolve("peft");
        List<String> args = List.of("ppo", "--model", model.toString(), "--reward-model", rewardModel.toString(),
                "--data", prompts.toString(), "--output", out.toString(), "--per-device-train-batch-size", "2",
                "--total-episodes", "4", "--response-length", "4", "--num-ppo-epochs", "1", "--save-steps", "1",
                "--learning-rate", "1e-2", "--disable-tqdm", "--use-peft", "--lora-r", "4");
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run.err());
        for (String f : List.of("adapter_config.json", "adapter_model.safetensors",
                "checkpoint-1/adapter_model.safetensors")) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        assertFalse(Files.exists(out.resolve("model.safetensors")), "the base is not written again");
        List<String> before = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(0.0, JSON.readTree(before.get(0)).get("objective/kl").asDouble(), "the reference is the base");
        List<String> resume = new ArrayList<>(args);
        resume.addAll(List.of("--resume-from-checkpoint", out.resolve("checkpoint-1").toString()));
        CliRun resumed = CliRun.of(resume.toArray(String[]::new));
        assertEquals(0, resumed.exitCode(), resumed.err());
        List<String> after = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(before.size(), after.size());
        for (int i = 0; i < before.size(); i++) {
            for (String key : List.of("objective/kl", "objective/scores", "loss/policy_avg")) {
                assertEquals(JSON.readTree(before.get(i)).get(key).asDouble(), JSON.readTree(after.get(i)).get(key)
                        .asDouble(), 1e-6, "line " + (i + 1) + " " + key);
            }
        }
    }

    @Test
    void trainsAndWritesMetricsCheckpointsAndTheModel() throws IOException {
        Path out = tmp.resolve("run");
        Path config = tmp.resolve("ppo.yaml");
        Files.writeString(config, "kl_coef: 0.1\nkl_estimator: k3\nnum_ppo_epochs: 2\n");
        CliRun run = CliRun.of("ppo", "--model", model.toString(), "--reward-model", rewardModel.toString(),
                "--data", prompts.toString(), "--output", out.toString(), "--config", config.toString(),
                "--per-device-train-batch-size", "2", "--total-episodes", "6", "--response-length", "5",
                "--learning-rate", "1e-3", "--save-steps", "2", "--stop-token", "eos", "--missing-eos-penalty", "1",
                "--disable-tqdm");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("ppo: 3 updates, 6 episodes on 6 prompts"), run.out());
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(3, lines.size());
        JsonNode last = JSON.readTree(lines.get(2));
        for (String key : List.of("objective/kl", "objective/scores", "objective/rlhf_reward", "loss/policy_avg",
                "loss/value_avg", "policy/approxkl_avg", "val/num_eos_tokens", "lr", "episode", "kl_coef")) {
            assertTrue(last.has(key), key + " in " + last);
        }
        assertEquals(6, last.get("episode").asDouble());
        assertEquals(0.1, last.get("kl_coef").asDouble());
        JsonNode saved = JSON.readTree(out.resolve("ppo_config.json").toFile());
        assertEquals("k3", saved.get("kl_estimator").asText());
        assertEquals(2, saved.get("num_ppo_epochs").asInt());
        assertTrue(Files.isRegularFile(out.resolve("checkpoint-2").resolve("model.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve("checkpoint-2").resolve(PpoTrainer.VALUE_MODEL_DIR)
                .resolve("model.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve("checkpoint-3").resolve(RunFolder.OPTIMIZER_FILE)),
                "the last of 3 updates is checkpointed although save_steps is 2");
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
        assertTrue(Files.isRegularFile(out.resolve(PpoTrainer.CURVES_PNG)));
        assertEquals(HfModels.load(model).parameters().keySet(), HfModels.load(out).parameters().keySet());
        // the last update's completions, decoded, in completions.jsonl and in the report's samples table
        List<String> completions = Files.readAllLines(out.resolve(RunReport.COMPLETIONS_FILE));
        assertFalse(completions.isEmpty());
        JsonNode first = JSON.readTree(completions.getFirst());
        assertTrue(first.get("prompt").isTextual() && first.get("completion").isTextual() && first.get("score")
                .isNumber(), first.toString());
        String report = Files.readString(out.resolve(RunReport.FILE_NAME));
        assertTrue(report.contains("<h2>Samples</h2>") && report.contains("<h1>PPO run: "), "samples in the report");
    }

    @Test
    void resumesFromACheckpointAndRejectsAMissingOne() throws IOException {
        Path out = tmp.resolve("resume-run");
        List<String> args = List.of("ppo", "--model", model.toString(), "--reward-model", rewardModel.toString(),
                "--data", prompts.toString(), "--output", out.toString(), "--per-device-train-batch-size", "2",
                "--total-episodes", "4", "--response-length", "4", "--num-ppo-epochs", "1", "--save-steps", "1",
                "--disable-tqdm");
        CliRun straight = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, straight.exitCode(), straight.err());
        List<String> before = Files.readAllLines(out.resolve("metrics.jsonl"));
        List<String> resumeArgs = new ArrayList<>(args);
        resumeArgs.addAll(List.of("--resume-from-checkpoint", out.resolve("checkpoint-1").toString()));
        CliRun resumed = CliRun.of(resumeArgs.toArray(String[]::new));
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertTrue(resumed.out().contains("ppo: 2 updates, 4 episodes"), resumed.out());
        List<String> after = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(2, after.size());
        for (int i = 0; i < 2; i++) {
            JsonNode want = JSON.readTree(before.get(i));
            JsonNode got = JSON.readTree(after.get(i));
            for (String key : List.of("objective/kl", "objective/scores", "loss/policy_avg", "loss/value_avg", "lr",
                    "episode", "step")) {
                assertEquals(want.get(key).asDouble(), got.get(key).asDouble(), 1e-6, "line " + (i + 1) + " " + key);
            }
        }

        List<String> missingArgs = new ArrayList<>(args);
        missingArgs.addAll(List.of("--resume-from-checkpoint", tmp.resolve("nowhere").toString()));
        CliRun missing = CliRun.of(missingArgs.toArray(String[]::new));
        assertEquals(Main.EXIT_BAD_INPUT, missing.exitCode(), missing.err());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        assertTrue(missing.err().contains("resume_from_checkpoint: no checkpoint folder " + tmp.resolve("nowhere")),
                missing.err());
    }

    @Test
    void malformedPromptFilesExitWithTwoNamingTheLine() throws IOException {
        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt\": \"Once upon a time\"}\n{\"prompt\": \"unclosed\n");
        CliRun run = CliRun.of("ppo", "--model", model.toString(), "--reward-model", rewardModel.toString(),
                "--data", bad.toString(), "--output", tmp.resolve("bad-run").toString(), "--disable-tqdm");
        assertEquals(Main.EXIT_BAD_INPUT, run.exitCode(), run.err());
        assertTrue(run.err().contains("bad.jsonl:2"), run.err());
        Path notPrompts = tmp.resolve("completions.jsonl");
        Files.writeString(notPrompts, "{\"prompt\": \"Hi\", \"completion\": \" there\"}\n");
        CliRun wrongFormat = CliRun.of("ppo", "--model", model.toString(), "--reward-model", rewardModel.toString(),
                "--data", notPrompts.toString(), "--output", tmp.resolve("bad-run").toString());
        assertEquals(Main.EXIT_BAD_INPUT, wrongFormat.exitCode(), wrongFormat.err());
        assertTrue(wrongFormat.err().contains("completions.jsonl:1: expected a prompt-only example"),
                wrongFormat.err());
        CliRun badOption = CliRun.of("ppo", "--model", model.toString(), "--reward-model", rewardModel.toString(),
                "--data", prompts.toString(), "--output", tmp.resolve("bad-run").toString(), "--kl-estimator", "k2");
        assertEquals(Main.EXIT_BAD_INPUT, badOption.exitCode(), badOption.err());
        assertTrue(badOption.err().contains("kl_estimator"), badOption.err());
        CliRun zerothOrder = CliRun.of("ppo", "--model", model.toString(), "--reward-model", rewardModel.toString(),
                "--data", prompts.toString(), "--output", tmp.resolve("bad-run").toString(), "--optim", "mezo");
        assertEquals(Main.EXIT_BAD_INPUT, zerothOrder.exitCode(), zerothOrder.err());
        assertTrue(zerothOrder.err().contains("optim: PPO trains with adamw_torch, got 'mezo'"), zerothOrder.err());
    }
}
