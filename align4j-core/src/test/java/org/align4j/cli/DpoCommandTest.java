package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.align4j.align.dpo.DpoConfig;
import org.align4j.align.dpo.DpoTask;
import org.align4j.align.dpo.PrecomputedReference;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModels;
import org.align4j.model.ModelConfig;
import org.align4j.model.Models;
import org.align4j.model.io.Dtype;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code align4j dpo} end to end on tiny models: training, metrics, plots, configuration, caching, errors. */
class DpoCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;
    @TempDir
    Path dir;

    static Path llamaTiny;
    /** A random 2-layer Llama with the embedded tokenizer's 4257-token vocabulary, saved with the tokenizer files. */
    static Path textModel;
    /** Eight pre-tokenized pairs for llama-tiny: the chosen completion is always [10, 11, 12], the rejected random. */
    static Path tokenPairs;

    @BeforeAll
    static void fixtures() throws IOException, URISyntaxException {
        llamaTiny = Path.of(DpoCommandTest.class.getResource("/fixtures/models/llama-tiny").toURI());
        Path tokenizer = Path.of(DpoCommandTest.class.getResource("/embedded/tokenizer").toURI());
        ModelConfig config = ModelConfig.fromJson((ObjectNode) JSON.readTree("{\"model_type\":\"llama\","
                + "\"vocab_size\":4257,\"hidden_size\":32,\"intermediate_size\":64,\"num_hidden_layers\":2,"
                + "\"num_attention_heads\":4,\"num_key_value_heads\":2,\"max_position_embeddings\":256,"
                + "\"initializer_range\":0.05,\"rms_norm_eps\":1e-6,\"eos_token_id\":4256,"
                + "\"tie_word_embeddings\":true}"), "test");
        textModel = shared.resolve("text-model");
        HfModels.save(Models.randomInit(config, 5), textModel, Dtype.F32, null, 0);
        Files.copy(tokenizer.resolve("tokenizer.json"), textModel.resolve("tokenizer.json"));
        ObjectNode tokenizerConfig = (ObjectNode) JSON.readTree(tokenizer.resolve("tokenizer_config.json").toFile());
        tokenizerConfig.put("chat_template", "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}"
                + "{% if add_generation_prompt %}<|assistant|>{% endif %}");
        JSON.writeValue(textModel.resolve("tokenizer_config.json").toFile(), tokenizerConfig);
        SplittableRandom rng = new SplittableRandom(11);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            lines.add("{\"prompt_ids\": " + ids(rng, 3 + i % 3) + ", \"chosen_ids\": [10, 11, 12], "
                    + "\"rejected_ids\": " + ids(rng, 3) + "}");
        }
        tokenPairs = Files.write(shared.resolve("pairs.jsonl"), lines);
    }

    private static String ids(SplittableRandom rng, int n) {
        return rng.ints(n, 20, 1000).boxed().toList().toString();
    }

    private static List<JsonNode> metrics(Path run) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            rows.add(JSON.readTree(line));
        }
        return rows;
    }

    private static List<JsonNode> trainingLogs(Path run) throws IOException {
        return metrics(run).stream().filter(r -> r.has("loss")).toList();
    }

    /**
     * A DPOConfig YAML written for TRL runs unchanged: its output_dir is the run folder when no --output is given,
     * options that cannot change the result here are warned about once each, and --output-dir is TRL's flag.
     */
    @Test
    void aTrlConfigRunsUnchangedWithOneWarningPerInapplicableOption() throws IOException {
        Path out = dir.resolve("trl-config-run");
        Path config = dir.resolve("trl.yaml");
        Files.writeString(config, "output_dir: " + out + "\nmax_steps: 1\nper_device_train_batch_size: 4\n"
                + "save_strategy: 'no'\nreport_to: none\nbf16: true\nremove_unused_columns: false\nrun_name: trl-dpo\n"
                + "gradient_checkpointing: true\ndisable_tqdm: true\n");
        CliRun run = CliRun.of("dpo", "--model", llamaTiny.toString(), "--data", tokenPairs.toString(), "--config",
                config.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(Files.exists(out.resolve("dpo_config.json")), "the config's output_dir is the run folder");
        for (String option : List.of("run_name", "bf16")) {
            assertEquals(1, run.err().lines().filter(l -> l.contains("no effect here: " + option + " (")).count(),
                    option + " in\n" + run.err());
        }
        assertFalse(run.err().contains("remove_unused_columns"), "false asks for nothing: no warning");
        Path flagged = dir.resolve("output-dir-flag");
        CliRun alias = CliRun.of("dpo", "--model", llamaTiny.toString(), "--data", tokenPairs.toString(),
                "--output-dir", flagged.toString(), "--max-steps", "1", "--save-strategy", "no", "--disable-tqdm");
        assertEquals(0, alias.exitCode(), alias.err());
        assertTrue(Files.exists(flagged.resolve("dpo_config.json")), "--output-dir is --output");
    }

    @Test
    void saveDtypeChoosesTheSavedTensorsDtype() throws IOException {
        Path out = dir.resolve("f16");
        CliRun run = CliRun.of("dpo", "--model", llamaTiny.toString(), "--data", tokenPairs.toString(),
                "--output", out.toString(), "--max-steps", "1", "--per-device-train-batch-size", "4",
                "--save-strategy", "no", "--disable-tqdm", "--save-dtype", "float16");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(Set.of("F16"), SftCommandTest.dtypes(out));
        assertEquals("float16", JSON.readTree(out.resolve("config.json").toFile()).get("dtype").asText());
    }

    @Test
    void trainingRaisesRewardAccuracyAndMarginsAndWritesTheRunFolder() throws IOException {
        Path out = dir.resolve("run");
        CliRun run = CliRun.of("dpo", "--model", llamaTiny.toString(), "--data", tokenPairs.toString(),
                "--eval-data", tokenPairs.toString(), "--eval-strategy", "steps", "--eval-steps", "4",
                "--output", out.toString(), "--learning-rate", "5e-3", "--max-steps", "8",
                "--per-device-train-batch-size", "4", "--logging-steps", "1", "--save-steps", "4",
                "--disable-tqdm");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("dpo: 8 steps on 8 pairs"), run.out());
        List<JsonNode> logs = trainingLogs(out);
        assertEquals(8, logs.size());
        for (String name : List.of("loss", "grad_norm", "learning_rate", "rewards/chosen", "rewards/rejected",
                "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected", "logits/chosen",
                "logits/rejected", "entropy", "mean_token_accuracy", "num_tokens", "epoch", "step")) {
            assertTrue(logs.get(0).has(name), name + " in " + logs.get(0));
        }
        assertEquals(0.0, logs.get(0).get("rewards/margins").asDouble(), 1e-6, "step 1: policy = its frozen copy");
        JsonNode last = logs.get(logs.size() - 1);
        assertTrue(last.get("rewards/margins").asDouble() > 0.5, "margins rise: " + last);
        assertEquals(1.0, last.get("rewards/accuracies").asDouble(), "every pair ranked right: " + last);
        assertTrue(last.get("loss").asDouble() < logs.get(0).get("loss").asDouble());
        List<JsonNode> all = metrics(out);
        List<JsonNode> evals = all.stream().filter(r -> r.has("eval_loss")).toList();
        assertEquals(2, evals.size(), "evaluated at steps 4 and 8");
        assertTrue(evals.get(1).get("eval_rewards/margins").asDouble() > evals.get(0).get("eval_rewards/margins")
                .asDouble() && evals.get(1).has("eval_entropy"), evals.toString());
        assertTrue(all.get(all.size() - 1).get("train_tokens_per_second").asDouble() > 0, "tokens/s in the summary");
        for (String file : List.of("config.json", "model.safetensors", "generation_config.json", "trainer_state.json",
                "training_args.json", DpoConfig.FILE_NAME, "training_loss.png", "rewards_margins.png",
                "rewards_accuracies.png", "checkpoint-4", "checkpoint-8", "report.html")) {
            assertTrue(Files.exists(out.resolve(file)), file);
        }
        String report = Files.readString(out.resolve("report.html"));
        for (String part : List.of("<h1>DPO run: ", "<h3>last training log</h3>", "<h3>last evaluation</h3>",
                "<h3>summary</h3>", "<img src=\"rewards_margins.png\"", "<h3>dpo_config.json</h3>",
                "<h3>training_args.json</h3>", "<th>beta</th><td>0.1</td>")) {
            assertTrue(report.contains(part), part + " in report.html");
        }
        JsonNode saved = JSON.readTree(out.resolve(DpoConfig.FILE_NAME).toFile());
        assertEquals(0.005, saved.get("learning_rate").asDouble());
        assertEquals("sigmoid", saved.get("loss_type").get(0).asText());
        assertEquals(1024, saved.get("max_length").asInt());
        CausalLM trained = HfModels.load(out);
        Tensor before = HfModels.load(llamaTiny).parameters().get("lm_head.weight").value();
        assertNotEquals(before.get(10), trained.parameters().get("lm_head.weight").value().get(10));
    }

    @Test
    void loraTrainingWithGradientCheckpointingUsesTheBaseAsReferenceAndSavesAnAdapterThatMerges() throws IOException {
        Path out = dir.resolve("lora");
        CliRun run = CliRun.of("dpo", "--model", llamaTiny.toString(), "--data", tokenPairs.toString(),
                "--output", out.toString(), "--learning-rate", "2e-2", "--max-steps", "8", "--use-peft",
                "--lora-r", "4", "--lora-alpha", "8", "--lora-dropout", "0", "--lora-target-modules", "all-linear",
                "--per-device-train-batch-size", "4", "--logging-steps", "1", "--save-steps", "8", "--disable-tqdm",
                "--gradient-checkpointing", "--gradient-checkpointing-kwargs", "{use_reentrant: false}");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.err().contains("warning: gradient_checkpointing_kwargs: use_reentrant is ignored"), run.err());
        assertTrue(JSON.readTree(out.resolve("training_args.json").toFile()).get("gradient_checkpointing")
                .asBoolean(), "the flag reaches the training arguments");
        List<JsonNode> logs = trainingLogs(out);
        assertEquals(0.0, logs.get(0).get("rewards/margins").asDouble(), 1e-6,
                "step 1: B = 0, so the adapted policy equals its adapter-disabled reference");
        JsonNode last = logs.get(logs.size() - 1);
        assertTrue(last.get("rewards/margins").asDouble() > logs.get(0).get("rewards/margins").asDouble()
                && last.get("rewards/accuracies").asDouble() >= 0.75, "LoRA DPO learns: " + last);
        assertTrue(Files.exists(out.resolve("adapter_model.safetensors")) && Files.exists(out.resolve(
                "adapter_config.json")), "the run folder holds a PEFT adapter");
        Path merged = dir.resolve("merged");
        CliRun merge = CliRun.of("merge", "--model", llamaTiny.toString(), "--adapter", out.toString(), "--output",
                merged.toString());
        assertEquals(0, merge.exitCode(), merge.err());
        assertEquals(HfModels.load(llamaTiny).parameters().keySet(), HfModels.load(merged).parameters().keySet());
    }

    /** disable_dropout (TRL's default true) turns LoRA's dropout off, as TRL's disable_dropout_in_model does. */
    @Test
    void disableDropoutTurnsLoraDropoutOff() throws IOException {
        long[] masks = new long[2];
        for (int i = 0; i < 2; i++) {
            Path out = dir.resolve("dropout-" + i);
            CliRun run = CliRun.of("dpo", "--model", llamaTiny.toString(), "--data", tokenPairs.toString(), "--output",
                    out.toString(), "--max-steps", "2", "--save-steps", "2", "--use-peft", "--lora-r", "4",
                    "--lora-dropout", "0.1", "--per-device-train-batch-size", "4", "--disable-tqdm",
                    "--disable-dropout", i == 0 ? "true" : "false");
            assertEquals(0, run.exitCode(), run.err());
            masks[i] = JSON.readTree(out.resolve("checkpoint-2").resolve("rng_state.json").toFile())
                    .path("task").path("lora_dropout_masks_drawn").asLong(-1);
            assertEquals(i == 1, run.err().contains("disable_dropout false: the model's own dropout"), run.err());
        }
        assertEquals(0, masks[0], "no dropout mask with disable_dropout");
        assertTrue(masks[1] > 0, "dropout masks without it: " + masks[1]);
    }

    @Test
    void bfloat16FrozenWeightsServeAsLoraBaseAndAsReference() throws IOException {
        Path lora = dir.resolve("lora-bf16");
        CliRun run = CliRun.of("dpo", "--model", llamaTiny.toString(), "--data", tokenPairs.toString(),
                "--output", lora.toString(), "--learning-rate", "2e-2", "--max-steps", "4", "--use-peft",
                "--lora-r", "4", "--lora-dropout", "0", "--per-device-train-batch-size", "4", "--logging-steps", "1",
                "--disable-tqdm", "--torch-dtype", "bfloat16");
        assertEquals(0, run.exitCode(), run.err());
        List<JsonNode> logs = trainingLogs(lora);
        assertEquals(0.0, logs.get(0).get("rewards/margins").asDouble(), 0.0,
                "B = 0: the policy is its reference, the same bfloat16 base");
        assertTrue(Files.exists(lora.resolve("adapter_model.safetensors")));

        Path full = dir.resolve("full-bf16-reference");
        run = CliRun.of("dpo", "--model", llamaTiny.toString(), "--data", tokenPairs.toString(),
                "--output", full.toString(), "--learning-rate", "5e-3", "--max-steps", "4",
                "--per-device-train-batch-size", "4", "--logging-steps", "1", "--disable-tqdm", "--torch-dtype",
                "bfloat16");
        assertEquals(0, run.exitCode(), run.err());
        double margin = trainingLogs(full).get(0).get("rewards/margins").asDouble();
        assertTrue(margin != 0 && Math.abs(margin) < 0.01,
                "step 1: the float32 policy differs from its bfloat16 reference by rounding only: " + margin);
        assertEquals(HfModels.load(llamaTiny).parameters().get("lm_head.weight").value().size(),
                HfModels.load(full).parameters().get("lm_head.weight").value().size());

        CliRun bad = CliRun.of("dpo", "--model", llamaTiny.toString(), "--data", tokenPairs.toString(),
                "--output", dir.resolve("bad").toString(), "--torch-dtype", "float8");
        assertEquals(Main.EXIT_BAD_INPUT, bad.exitCode());
        assertEquals(1, bad.err().strip().split("\n").length, bad.err());
        assertTrue(bad.err().contains("--torch-dtype must be float32, bfloat16 or auto, got 'float8'"), bad.err());
    }

    @Test
    void textPairsTrainWithTheTokenizerAndPrecomputedReferenceLogProbsAreCachedAcrossRuns() throws IOException {
        Path data = Files.write(dir.resolve("text.jsonl"), List.of(
                "{\"prompt\": \"The sky is\", \"chosen\": \" blue.\", \"rejected\": \" green.\"}",
                "{\"chosen\": \"Grass is green.\", \"rejected\": \"Grass is purple.\"}",
                "{\"prompt\": \"" + "A very long prompt that certainly fills the whole budget. ".repeat(4)
                        + "\", \"chosen\": \" yes\", \"rejected\": \" no\"}",
                "{\"prompt\": [{\"role\": \"user\", \"content\": \"Snow?\"}], "
                        + "\"chosen\": [{\"role\": \"assistant\", \"content\": \"White.\"}], "
                        + "\"rejected\": [{\"role\": \"assistant\", \"content\": \"Black.\"}]}",
                "{\"chosen\": [{\"role\": \"user\", \"content\": \"Fire?\"}, {\"role\": \"assistant\", "
                        + "\"content\": \"Hot.\"}], \"rejected\": [{\"role\": \"user\", \"content\": \"Fire?\"}, "
                        + "{\"role\": \"assistant\", \"content\": \"Cold.\"}]}"));
        Path out = dir.resolve("text-run");
        String[] args = {"dpo", "--model", textModel.toString(), "--data", data.toString(), "--output",
                out.toString(), "--precompute-ref-log-probs", "--max-length", "32", "--learning-rate", "1e-2",
                "--max-steps", "3", "--per-device-train-batch-size", "4", "--logging-steps", "1",
                "--save-strategy", "no", "--disable-tqdm"};
        CliRun first = CliRun.of(args);
        assertEquals(0, first.exitCode(), first.err());
        assertTrue(first.err().contains("dpo: warning: train dataset: dropped 1 of 5 examples whose prompt alone "
                + "reaches max_length 32"), first.err());
        assertTrue(first.err().contains("train reference log-probs computed and cached in"), first.err());
        Path cache;
        try (Stream<Path> files = Files.list(out)) {
            cache = files.filter(p -> p.getFileName().toString().startsWith(PrecomputedReference.FILE_PREFIX))
                    .findFirst().orElseThrow();
        }
        FileTime written = Files.getLastModifiedTime(cache);
        assertTrue(Files.exists(out.resolve("tokenizer.json")), "the tokenizer is saved with the model");
        assertEquals(3, trainingLogs(out).size());

        CliRun second = CliRun.of(args);
        assertEquals(0, second.exitCode(), second.err());
        assertTrue(second.err().contains("train reference log-probs read from cache " + cache), second.err());
        assertEquals(written, Files.getLastModifiedTime(cache), "the cache file is not rewritten");
        assertEquals(trainingLogs(out).get(0).get("loss").asDouble(), Math.log(2), 1e-6);

        CliRun changed = CliRun.of(args[0], args[1], args[2], args[3], args[4], args[5], args[6],
                "--precompute-ref-log-probs", "--max-length", "5", "--max-steps", "1", "--disable-tqdm",
                "--save-strategy", "no");
        assertEquals(0, changed.exitCode(), changed.err());
        assertTrue(changed.err().contains("computed and cached in"), "other data, other key: " + changed.err());
    }

    @Test
    void configFileOptionsAreOverriddenByFlagsAndTrDpoSyncsTheSavedReference() throws IOException {
        Path config = Files.writeString(dir.resolve("dpo.yaml"), """
                beta: 0.5
                learning_rate: 0.01
                loss_type: [sigmoid, sft]
                loss_weights: [1.0, 0.5]
                sync_ref_model: true
                ref_model_sync_steps: 2
                ref_model_mixup_alpha: 0.5
                max_steps: 2
                per_device_train_batch_size: 4
                save_strategy: "no"
                plot_loss: false
                disable_tqdm: true
                """);
        Path out = dir.resolve("config-run");
        CliRun run = CliRun.of("dpo", "--model", llamaTiny.toString(), "--data", tokenPairs.toString(),
                "--config", config.toString(), "--beta", "0.2", "--output", out.toString());
        assertEquals(0, run.exitCode(), run.err());
        JsonNode saved = JSON.readTree(out.resolve(DpoConfig.FILE_NAME).toFile());
        assertEquals(0.2, saved.get("beta").asDouble(), "the flag wins");
        assertEquals(0.01, saved.get("learning_rate").asDouble(), "the file's value");
        assertEquals("[\"sigmoid\",\"sft\"]", saved.get("loss_type").toString());
        Path ref = out.resolve(DpoTask.REF_MODEL_FOLDER);
        assertTrue(Files.exists(ref.resolve("model.safetensors")), "the synced reference is saved");
        Tensor initial = HfModels.load(llamaTiny).parameters().get("lm_head.weight").value();
        Tensor policy = HfModels.load(out).parameters().get("lm_head.weight").value();
        Tensor synced = HfModels.load(ref).parameters().get("lm_head.weight").value();
        assertEquals(initial.get(10) * 0.5f + policy.get(10) * 0.5f, synced.get(10), 1e-7f,
                "after step 2: ref = 0.5 ref + 0.5 policy");
        assertFalse(Files.exists(out.resolve("rewards_margins.png")), "plot_loss false");
    }

    @Test
    void aResumedTrDpoRunEndsWithTheWeightsOfAnUninterruptedOne() throws IOException {
        Path whole = dir.resolve("whole");
        Path resumed = dir.resolve("resumed");
        List<String> common = List.of("dpo", "--model", llamaTiny.toString(), "--data", tokenPairs.toString(),
                "--learning-rate", "5e-3", "--max-steps", "4", "--per-device-train-batch-size", "4",
                "--save-steps", "2", "--sync-ref-model", "--ref-model-sync-steps", "1", "--ref-model-mixup-alpha",
                "0.5", "--disable-tqdm", "--plot-loss", "false");
        List<String> first = new ArrayList<>(common);
        first.addAll(List.of("--output", whole.toString()));
        assertEquals(0, CliRun.of(first.toArray(String[]::new)).exitCode());
        List<String> second = new ArrayList<>(common);
        second.addAll(List.of("--output", resumed.toString(), "--resume-from-checkpoint",
                whole.resolve("checkpoint-2").toString()));
        CliRun run = CliRun.of(second.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run.err());
        for (Path model : List.of(Path.of(""), Path.of(DpoTask.REF_MODEL_FOLDER))) {
            CausalLM a = HfModels.load(whole.resolve(model));
            CausalLM b = HfModels.load(resumed.resolve(model));
            a.parameters().forEach((name, v) -> assertTrue(Arrays.equals(v.value().data(),
                    b.parameters().get(name).value().data()), model + " " + name));
        }
    }

    @Test
    void badInputEndsWithOneLineNamingTheProblemAndExitCode2() throws IOException {
        Path bad = Files.write(dir.resolve("bad.jsonl"), List.of("{\"prompt_ids\": [1], \"chosen_ids\": [2], "
                + "\"rejected_ids\": [3]}", "{\"prompt\": \"x\", \"chosen\": 3, \"rejected\": \"y\"}"));
        CliRun data = CliRun.of("dpo", "--model", llamaTiny.toString(), "--data", bad.toString(), "--output",
                dir.resolve("r1").toString());
        assertEquals(2, data.exitCode());
        assertEquals("align4j dpo: bad.jsonl:2: field 'chosen' must be a string or a list of messages, got number",
                data.err().strip());
        CliRun option = CliRun.of("dpo", "--model", llamaTiny.toString(), "--data", tokenPairs.toString(),
                "--output", dir.resolve("r2").toString(), "--loss-type", "sigmiod");
        assertEquals(2, option.exitCode());
        assertTrue(option.err().startsWith("align4j dpo: --loss-type: unknown DPO loss type 'sigmiod' (did you mean"
                + " 'sigmoid'?)"), option.err());
        Path config = Files.writeString(dir.resolve("typo.yaml"), "betta: 0.3\n");
        CliRun typo = CliRun.of("dpo", "--model", llamaTiny.toString(), "--data", tokenPairs.toString(),
                "--output", dir.resolve("r3").toString(), "--config", config.toString());
        assertEquals(2, typo.exitCode());
        assertTrue(typo.err().contains("unknown option 'betta' (did you mean 'beta'?)"), typo.err());
        Path big = Files.write(dir.resolve("big.jsonl"), List.of("{\"prompt_ids\": [1], \"chosen_ids\": [2000], "
                + "\"rejected_ids\": [3]}"));
        CliRun vocab = CliRun.of("dpo", "--model", llamaTiny.toString(), "--data", big.toString(), "--output",
                dir.resolve("r4").toString());
        assertEquals(2, vocab.exitCode());
        assertTrue(vocab.err().contains("big.jsonl:1: chosen sequence: token id 2000 is outside the model's"
                + " vocabulary of 1000 ids"),
                vocab.err());
    }
}
