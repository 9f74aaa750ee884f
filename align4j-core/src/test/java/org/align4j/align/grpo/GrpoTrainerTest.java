package org.align4j.align.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.align4j.InputException;
import org.align4j.align.TinyModels;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.nn.LoraConfig;
import org.align4j.nn.LoraModel;
import org.align4j.nn.TargetModules;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.TrainerState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link GrpoTrainer} and {@link RlooTrainer} on a tiny random model rewarded for vowels. */
class GrpoTrainerTest {
    @TempDir
    Path tmp;

    private GrpoConfig grpo(String run, Map<String, Object> extra) {
        Map<String, Object> options = new HashMap<>(Map.of("output_dir", tmp.resolve(run).toString(),
                "learning_rate", 2e-2, "per_device_train_batch_size", 8, "num_generations", 4,
                "max_completion_length", 6, "max_steps", 30, "logging_steps", 1, "disable_tqdm", true,
                "save_strategy", "no", "lr_scheduler_type", "constant"));
        options.put("gradient_checkpointing", false);
        options.putAll(extra);
        return GrpoConfig.defaults().withOptions(options);
    }

    /** The mean of the first and of the last {@code k} logged values of {@code key}. */
    private static double[] firstAndLast(TrainerState state, String key, int k) {
        List<Double> values = state.logHistory().stream().filter(e -> e.containsKey(key))
                .map(e -> ((Number) e.get(key)).doubleValue()).toList();
        double first = values.subList(0, k).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = values.subList(values.size() - k, values.size()).stream().mapToDouble(Double::doubleValue)
                .average().orElseThrow();
        return new double[] {first, last};
    }

    @Test
    void rewardRisesUnderEachLossType() throws IOException {
        Tokenizer tokenizer = OnlineFixtures.tokenizer(tmp.resolve("tok"));
        for (GrpoLossType type : GrpoLossType.values()) {
            CausalLM model = TinyModels.random("llama", 3);
            GrpoTrainer trainer = new GrpoTrainer(model, null, grpo(type.trlName(), Map.of("loss_type",
                    type.trlName())), List.of(OnlineFixtures.vowels()), OnlineFixtures.prompts(16), tokenizer,
                    new HfModelWriter(null, null));
            double[] reward = firstAndLast(trainer.train().state(), "reward", 4);
            assertTrue(reward[1] > reward[0] + 0.2, type + ": reward " + reward[0] + " -> " + reward[1]);
        }
    }

    @Test
    void sequenceLevelRatiosWithReusedGenerationsAndAKlPenaltyLearn() throws IOException {
        // GSPO's ratio, each generation batch cut into 2 micro-batches used twice (old log-probs recorded: the
        // policy changes between uses) and β 0.04 against a frozen copy of the model
        Tokenizer tokenizer = OnlineFixtures.tokenizer(tmp.resolve("tok"));
        GrpoTrainer trainer = new GrpoTrainer(TinyModels.random("llama", 3), null, grpo("gspo", Map.of(
                "importance_sampling_level", "sequence", "per_device_train_batch_size", 4,
                "steps_per_generation", 2, "num_iterations", 2, "beta", 0.04, "max_steps", 40, "epsilon", 0.1)),
                List.of(OnlineFixtures.vowels()), OnlineFixtures.prompts(16), tokenizer, new HfModelWriter(null, null));
        TrainerState state = trainer.train().state();
        double[] reward = firstAndLast(state, "reward", 4);
        assertTrue(reward[1] > reward[0] + 0.2, "reward " + reward[0] + " -> " + reward[1]);
        double[] kl = firstAndLast(state, "kl", 1);
        assertEquals(0, kl[0], 1e-6, "the policy starts at the reference");
        assertTrue(kl[1] > 1e-3, "the policy moved away from the reference: kl " + kl[1]);
        double clipped = state.logHistory().stream().filter(e -> e.containsKey("clip_ratio/region_mean"))
                .mapToDouble(e -> ((Number) e.get("clip_ratio/region_mean")).doubleValue()).max().orElseThrow();
        assertTrue(clipped > 0, "the second use of a generation batch clips some ratios");
    }

    @Test
    void rlooRewardRises() throws IOException {
        Tokenizer tokenizer = OnlineFixtures.tokenizer(tmp.resolve("tok"));
        Map<String, Object> options = new HashMap<>(Map.of("output_dir", tmp.resolve("rloo").toString(),
                "learning_rate", 2e-2, "per_device_train_batch_size", 8, "num_generations", 4,
                "max_completion_length", 6, "max_steps", 30, "logging_steps", 1, "disable_tqdm", true,
                "save_strategy", "no", "lr_scheduler_type", "constant"));
        RlooTrainer trainer = new RlooTrainer(TinyModels.random("llama", 3), null,
                RlooConfig.defaults().withOptions(options), List.of(OnlineFixtures.vowels()),
                OnlineFixtures.prompts(16), tokenizer, new HfModelWriter(null, null));
        TrainerState state = trainer.train().state();
        double[] reward = firstAndLast(state, "reward", 4);
        assertTrue(reward[1] > reward[0] + 0.2, "reward " + reward[0] + " -> " + reward[1]);
        assertTrue(state.logHistory().get(0).containsKey("kl"));
        assertTrue(Files.isRegularFile(tmp.resolve("rloo").resolve(RlooConfig.FILE_NAME)));
    }

    @Test
    void aResumedRunTrainsOnTheCompletionsAnUninterruptedOneDid() throws IOException {
        // a checkpoint after step 3 falls inside a generation batch (2 micro-batches used twice): it carries the
        // batch, so the resumed run does not sample anew
        Tokenizer tokenizer = OnlineFixtures.tokenizer(tmp.resolve("tok"));
        Map<String, Object> extra = Map.of("per_device_train_batch_size", 4, "steps_per_generation", 2,
                "num_iterations", 2, "max_steps", 6, "save_strategy", "steps", "save_steps", 3);
        CausalLM whole = TinyModels.random("llama", 3);
        new GrpoTrainer(whole, null, grpo("whole", extra), List.of(OnlineFixtures.vowels()),
                OnlineFixtures.prompts(16), tokenizer, new HfModelWriter(null, null)).train();
        Map<String, Object> resumed = new HashMap<>(extra);
        resumed.put("resume_from_checkpoint", tmp.resolve("whole").resolve("checkpoint-3").toString());
        CausalLM continued = TinyModels.random("llama", 3);
        new GrpoTrainer(continued, null, grpo("resumed", resumed), List.of(OnlineFixtures.vowels()),
                OnlineFixtures.prompts(16), tokenizer, new HfModelWriter(null, null)).train();
        whole.parameters().forEach((name, v) -> assertArrayEquals(v.value().data(),
                continued.parameters().get(name).value().data(), name));
        // a generation batch naming a prompt this run does not have is refused, naming the file
        Path rng = tmp.resolve("whole").resolve("checkpoint-3").resolve("rng_state.json");
        Files.writeString(rng, Files.readString(rng).replaceFirst("\"prompt_index\" ?: ?\\d+",
                "\"prompt_index\":999"));
        Map<String, Object> corrupt = new HashMap<>(resumed);
        corrupt.put("output_dir", tmp.resolve("corrupt").toString());
        InputException e = assertThrows(InputException.class, () -> new GrpoTrainer(TinyModels.random("llama", 3),
                null, grpo("corrupt", corrupt), List.of(OnlineFixtures.vowels()), OnlineFixtures.prompts(16),
                tokenizer, new HfModelWriter(null, null)).train());
        assertTrue(e.getMessage().startsWith(rng + ": batches: prompt_index 999"), e.getMessage());
    }

    @Test
    void aLoraPolicyUsesItsBaseAsTheReference() throws IOException {
        Tokenizer tokenizer = OnlineFixtures.tokenizer(tmp.resolve("tok"));
        LoraModel lora = LoraModel.create(TinyModels.random("llama", 3), LoraConfig.of(4, 8,
                new TargetModules.AllLinear()), 1);
        GrpoTrainer trainer = new GrpoTrainer(lora, null, grpo("lora", Map.of("beta", 0.1, "max_steps", 6)),
                List.of(OnlineFixtures.vowels()), OnlineFixtures.prompts(16), tokenizer,
                new HfModelWriter(null, null));
        TrainerState state = trainer.train().state();
        // LoRA's B starts at zero: the policy equals its base at the first step, then moves away
        assertEquals(0, ((Number) state.logHistory().get(0).get("kl")).doubleValue(), 1e-9);
        assertTrue(((Number) state.logHistory().get(5).get("kl")).doubleValue() > 0);
        assertTrue(Files.isRegularFile(tmp.resolve("lora").resolve(LoraModel.WEIGHTS_FILE)));
    }

    @Test
    void metricsCarryTrlsNames() throws IOException {
        Tokenizer tokenizer = OnlineFixtures.tokenizer(tmp.resolve("tok"));
        new GrpoTrainer(TinyModels.random("llama", 3), null, grpo("names", Map.of("max_steps", 2, "beta", 0.01)),
                List.of(OnlineFixtures.vowels(), RewardFunctions.length()), OnlineFixtures.prompts(16), tokenizer,
                new HfModelWriter(null, null)).train();
        String metrics = Files.readString(tmp.resolve("names").resolve("metrics.jsonl"));
        for (String name : List.of("reward", "reward_std", "rewards/vowels/mean", "rewards/length/std",
                "frac_reward_zero_std", "kl", "entropy", "completions/mean_length", "completions/clipped_ratio",
                "clip_ratio/low_mean", "clip_ratio/high_max", "clip_ratio/region_mean", "num_tokens")) {
            assertTrue(metrics.contains("\"" + name + "\":"), name + " in " + metrics);
        }
        assertTrue(Files.isRegularFile(tmp.resolve("names").resolve(GrpoConfig.FILE_NAME)));
    }
}
