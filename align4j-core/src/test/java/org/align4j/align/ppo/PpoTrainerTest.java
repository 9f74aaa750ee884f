package org.align4j.align.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.align4j.align.CompletionRows;
import org.align4j.align.TinyModels;
import org.align4j.align.dpo.ModelReference;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.DelegatingCausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.model.ModelInput;
import org.align4j.model.RewardModel;
import org.align4j.train.RunFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PpoTrainer} on tiny random models: the loss gradient, optimisation of a token reward, the KL penalty, a
 * scorer of responses apart from their prompts.
 */
class PpoTrainerTest {
    private static final int REWARDED_TOKEN = 7;
    private static final int PROMPT_COUNT = 16;

    @TempDir
    Path tmp;

    /** The fraction of response tokens equal to token 7 (prompts are 3 tokens long). */
    private static double[] fractionOfSevens(List<int[]> sequences) {
        double[] scores = new double[sequences.size()];
        for (int i = 0; i < scores.length; i++) {
            int[] s = sequences.get(i);
            int sevens = 0;
            for (int t = 3; t < s.length; t++) {
                sevens += s[t] == REWARDED_TOKEN ? 1 : 0;
            }
            scores[i] = (double) sevens / (s.length - 3);
        }
        return scores;
    }

    private static int[][] prompts() {
        SplittableRandom rng = new SplittableRandom(3);
        int[][] prompts = new int[PROMPT_COUNT][3];
        for (int[] p : prompts) {
            for (int t = 0; t < p.length; t++) {
                p[t] = 1 + rng.nextInt(TinyModels.VOCAB - 1);
            }
        }
        return prompts;
    }

    private static RewardModel valueModelOf(CausalLM policy) {
        return RewardModel.fromCausalLM(ModelReference.frozenCopyOf(policy).model(), 11);
    }

    private PpoConfig config(String run, Map<String, Object> extra) {
        Map<String, Object> options = new HashMap<>(Map.of("output_dir", tmp.resolve(run).toString(),
                "learning_rate", 3e-3, "per_device_train_batch_size", 4, "gradient_accumulation_steps", 2,
                "num_mini_batches", 2, "response_length", 4, "temperature", 1.0, "disable_tqdm", true,
                "save_strategy", "no", "total_episodes", 8 * 40));
        options.put("lr_scheduler_type", "constant");
        options.putAll(extra);
        return PpoConfig.defaults().withOptions(options);
    }

    private static double mean(List<Map<String, Double>> history, String key, int from, int to) {
        return history.subList(from, to).stream().mapToDouble(m -> m.get(key)).average().orElseThrow();
    }

    private List<Map<String, Double>> run(String name, double klCoef) throws IOException {
        CausalLM policy = TinyModels.random("llama", 21);
        PpoTrainer trainer = new PpoTrainer(policy, null, valueModelOf(policy), PpoTrainerTest::fractionOfSevens,
                prompts(), config(name, Map.of("kl_coef", klCoef)));
        List<Map<String, Double>> history = new ArrayList<>();
        PpoTrainer.Result result = trainer.train(1, (t, metrics) -> history.add(metrics));
        assertEquals(40, result.updates());
        assertEquals(40, history.size());
        return history;
    }

    @Test
    void ppoRaisesTheScoreAndTheKlPenaltyHoldsThePolicyNearTheReference() throws IOException {
        List<Map<String, Double>> loose = run("loose", 0.01);
        double before = mean(loose, "objective/scores", 0, 5);
        double after = mean(loose, "objective/scores", 35, 40);
        System.out.printf("ppo kl_coef 0.01: score %.3f -> %.3f, kl %.3f -> %.3f%n", before, after,
                mean(loose, "objective/kl", 0, 5), mean(loose, "objective/kl", 35, 40));
        assertTrue(after > before + 0.3, "score " + before + " -> " + after);
        double looseKl = mean(loose, "objective/kl", 35, 40);
        assertTrue(looseKl < 20, "KL stays bounded: " + looseKl);

        List<Map<String, Double>> tight = run("tight", 1.0);
        double tightKl = mean(tight, "objective/kl", 35, 40);
        System.out.printf("ppo kl_coef 1.0: score %.3f -> %.3f, kl %.3f%n", mean(tight, "objective/scores", 0, 5),
                mean(tight, "objective/scores", 35, 40), tightKl);
        assertTrue(tightKl < looseKl / 2, "a larger kl_coef keeps the policy closer: " + tightKl + " vs " + looseKl);
        Map<String, Double> last = loose.get(39);
        for (String key : List.of("objective/entropy", "objective/non_score_reward", "objective/rlhf_reward",
                "policy/approxkl_avg", "policy/clipfrac_avg", "loss/policy_avg", "loss/value_avg",
                "val/clipfrac_avg", "policy/entropy_avg", "val/ratio", "val/ratio_var", "val/num_eos_tokens", "lr",
                "episode", "kl_coef", "eps")) {
            assertTrue(last.containsKey(key) && Double.isFinite(last.get(key)), key + " in " + last);
        }
        assertEquals(320, last.get("episode"));
        assertEquals(last.get("objective/non_score_reward") + last.get("objective/scores"),
                last.get("objective/rlhf_reward"), 1e-9);
        assertEquals(-0.01 * last.get("objective/kl"), last.get("objective/non_score_reward"), 1e-9);
        assertEquals(40, Files.readAllLines(tmp.resolve("loose").resolve("metrics.jsonl")).size());
        assertTrue(Files.isRegularFile(tmp.resolve("loose").resolve("model.safetensors")));
        assertTrue(Files.isRegularFile(tmp.resolve("loose").resolve(PpoTrainer.CURVES_PNG)));
    }

    @Test
    void theAdaptiveControllerRaisesBetaWhileTheKlExceedsItsTarget() throws IOException {
        CausalLM policy = TinyModels.random("llama", 21);
        PpoTrainer trainer = new PpoTrainer(policy, null, valueModelOf(policy), PpoTrainerTest::fractionOfSevens,
                prompts(), config("adaptive", Map.of("adap_kl_ctrl", true, "init_kl_coef", 0.1, "target", 1e-4,
                        "horizon", 100, "total_episodes", 8 * 5)));
        double beta = trainer.klCoef();
        assertEquals(0.1, beta);
        for (int i = 0; i < 5; i++) {
            Map<String, Double> m = trainer.step();
            assertEquals(beta, m.get("kl_coef"), 1e-12);
            double expected = beta * (1 + Math.max(-0.2, Math.min(0.2, m.get("objective/kl") / 1e-4 - 1)) * 8 / 100);
            assertEquals(expected, trainer.klCoef(), 1e-12);
            beta = trainer.klCoef();
        }
        assertTrue(beta > 0.1, "KL above a tiny target pushes beta up: " + beta);
    }

    @Test
    void aResponseScorerGetsEachPromptAndItsResponseApart() throws IOException {
        CausalLM policy = TinyModels.random("llama", 21);
        int[][] prompts = prompts();
        List<int[]> seenPrompts = new ArrayList<>();
        List<int[]> seenResponses = new ArrayList<>();
        PpoTrainer.ResponseScorer scorer = (p, r) -> {
            seenPrompts.addAll(List.of(p));
            seenResponses.addAll(List.of(r));
            double[] out = new double[r.length];
            for (int i = 0; i < r.length; i++) {
                out[i] = r[i].length;
            }
            return out;
        };
        Map<String, Double> m = new PpoTrainer(policy, null, valueModelOf(policy), scorer, prompts,
                config("responses", Map.of("total_episodes", 8)), new HfModelWriter(null, null))
                .step();
        assertEquals(8, seenPrompts.size());
        assertEquals(8, seenResponses.size());
        double lengths = 0;
        for (int i = 0; i < 8; i++) {
            int[] prompt = seenPrompts.get(i);
            assertTrue(Arrays.stream(prompts).anyMatch(q -> q == prompt), "a prompt of the trainer's");
            assertTrue(seenResponses.get(i).length >= 1 && seenResponses.get(i).length <= 4);
            lengths += seenResponses.get(i).length;
        }
        assertEquals(lengths / 8, m.get("objective/scores"), 1e-12);
    }

    /** The micro-batch loss's gradients (through Ops.scale, the fused lm_head and the value head) vs finite differences. */
    @Test
    void microBatchLossGradientMatchesFiniteDifferences() {
        CausalLM policy = TinyModels.random("gpt2", 4);
        RewardModel value = valueModelOf(policy);
        int[][] prompts = {{3, 9, 1}, {5, 2}};
        int[][] responses = {{7, 7, 30}, {12, 4, 7, 19}};
        PpoConfig.Options options = PpoConfig.defaults().options();
        double temperature = 0.7;
        PpoUpdate.MicroBatch probe = new PpoUpdate.MicroBatch(prompts, responses,
                new double[][] {new double[3], new double[4]}, new double[][] {new double[3], new double[4]},
                new double[][] {new double[3], new double[4]}, new double[][] {new double[3], new double[4]});
        PpoUpdate.MicroBatchLoss at = PpoUpdate.microBatchLoss(Tape.inference(), policy, value, probe, options,
                temperature, 1.0);
        assertTrue(at.entropy() > 0);
        // rollout numbers near the current ones (ratios in the unclipped range, or well outside it)
        double[] logpOffsets = {0.05, -0.6, 0.03, -0.04, 0.7, 0.02, -0.05};
        double[] valueOffsets = {0.05, 0.6, -0.04, -0.5, 0.03, 0.02, -0.05};
        double[][] oldLogp = new double[2][];
        double[][] oldValues = new double[2][];
        double[][] advantages = {{0.9, -1.1, 0.4}, {-0.3, 1.2, 0.8, -0.7}};
        double[][] returns = {{1.0, -0.5, 0.2}, {0.3, 0.9, -1.2, 0.4}};
        CompletionRows s = CompletionRows.of(prompts, responses);
        Var logp = Ops.tokenLogProbs(Tape.inference(), Ops.scale(Tape.inference(),
                policy.hiddenStates(Tape.inference(), s.input()), (float) (1 / temperature)), policy.lmHead(),
                s.targets());
        Var values = value.values(Tape.inference(), s.input());
        double[] currentLogp = new double[7];
        double[] currentValues = new double[7];
        for (int b = 0, j = 0; b < 2; b++) {
            for (int t = 0; t < responses[b].length; t++, j++) {
                currentLogp[j] = logp.value().get(s.tokenRow(b, t));
                currentValues[j] = values.value().get(s.tokenRow(b, t));
            }
        }
        int k = 0;
        for (int b = 0; b < 2; b++) {
            oldLogp[b] = new double[responses[b].length];
            oldValues[b] = new double[responses[b].length];
            for (int t = 0; t < responses[b].length; t++, k++) {
                oldLogp[b][t] = currentLogp[k] + logpOffsets[k];
                oldValues[b][t] = currentValues[k] + valueOffsets[k];
            }
        }
        PpoUpdate.MicroBatch batch = new PpoUpdate.MicroBatch(prompts, responses, oldLogp, oldValues, advantages,
                returns);
        Map<String, Var> all = new java.util.LinkedHashMap<>();
        policy.parameters().forEach((n, v) -> all.put("policy." + n, v));
        value.parameters().forEach((n, v) -> all.put("value." + n, v));
        TinyModels.checkParameterGradients("ppo micro-batch loss", all,
                List.of("policy.transformer.h.0.attn.c_attn.weight", "policy.transformer.wte.weight",
                        "value.transformer.h.0.mlp.c_fc.weight", "value." + RewardModel.SCORE_WEIGHT),
                tape -> PpoUpdate.microBatchLoss(tape, policy, value, batch, options, temperature, 0.5).total());
    }

    /** Non-timing metrics of each metrics.jsonl line, by step. */
    private static Map<Integer, Map<String, Double>> loggedMetrics(Path run) throws IOException {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        Map<Integer, Map<String, Double>> byStep = new java.util.TreeMap<>();
        for (String line : Files.readAllLines(run.resolve(RunFolder.METRICS_FILE))) {
            Map<String, Double> entry = new java.util.TreeMap<>();
            json.readTree(line).properties().forEach(e -> entry.put(e.getKey(), e.getValue().asDouble()));
            entry.remove("eps");
            byStep.put(entry.get("step").intValue(), entry);
        }
        return byStep;
    }

    private PpoTrainer resumable(String run, Map<String, Object> extra) {
        Map<String, Object> options = new HashMap<>(Map.of("total_episodes", 8 * 6, "save_steps", 2,
                "save_strategy", "steps", "lr_scheduler_type", "linear", "adap_kl_ctrl", true, "target", 0.01,
                "horizon", 50, "local_rollout_forward_batch_size", 3, "num_ppo_epochs", 2));
        options.putAll(extra);
        CausalLM policy = TinyModels.random("llama", 21);
        return new PpoTrainer(policy, null, valueModelOf(policy), PpoTrainerTest::fractionOfSevens, prompts(),
                config(run, options));
    }

    @Test
    void aRunResumedFromACheckpointTakesTheUpdatesOfAnUninterruptedOne() throws IOException {
        PpoTrainer straight = resumable("straight", Map.of());
        straight.train();
        assertEquals(6, straight.updates());

        PpoTrainer interrupted = resumable("interrupted", Map.of());
        for (int i = 0; i < 3; i++) {
            interrupted.step();
        }
        Path checkpoint = tmp.resolve("interrupted").resolve("checkpoint-2");
        for (String file : List.of(RunFolder.OPTIMIZER_FILE, RunFolder.SCHEDULER_FILE, RunFolder.RNG_STATE_FILE,
                RunFolder.TRAINER_STATE_FILE, "model.safetensors", PpoTrainer.VALUE_MODEL_DIR + "/model.safetensors")) {
            assertTrue(Files.isRegularFile(checkpoint.resolve(file)), file);
        }
        PpoTrainer resumed = resumable("interrupted", Map.of("resume_from_checkpoint", checkpoint.toString()));
        PpoTrainer.Result result = resumed.train();
        assertEquals(6, result.updates());
        assertEquals(48, result.episodes());

        Map<Integer, Map<String, Double>> expected = loggedMetrics(tmp.resolve("straight"));
        Map<Integer, Map<String, Double>> actual = loggedMetrics(tmp.resolve("interrupted"));
        assertEquals(expected.keySet(), actual.keySet(), "metrics.jsonl holds steps 1-2 restored and 3-6 retaken");
        assertNotEquals(expected.get(1).get("kl_coef"), expected.get(6).get("kl_coef"), "the KL coefficient adapts");
        for (int step = 1; step <= 6; step++) {
            Map<String, Double> want = expected.get(step);
            Map<String, Double> got = actual.get(step);
            assertEquals(want.keySet(), got.keySet());
            for (String key : want.keySet()) {
                assertEquals(want.get(key), got.get(key), 1e-6, "step " + step + " " + key);
            }
        }
        assertEquals(straight.klCoef(), resumed.klCoef(), 1e-12);
        assertSameValues(straight.policy().parameters(), resumed.policy().parameters());
        assertSameValues(straight.valueModel().parameters(), resumed.valueModel().parameters());

        PpoTrainer latest = resumable("interrupted", Map.of("resume_from_checkpoint", "true"));
        latest.step();
        assertEquals(7, latest.updates(), "true resumes from the newest checkpoint, checkpoint-6");
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> resumable("fresh",
                Map.of("resume_from_checkpoint", "true")));
        assertTrue(missing.getMessage().startsWith("resume_from_checkpoint: no checkpoint-N folder"),
                missing.getMessage());
    }

    /** A policy that notes, for each recording forward, whether its tape checkpoints the blocks. */
    private static final class TapeWatchingPolicy extends DelegatingCausalLM {
        private final CausalLM model;
        private final List<Boolean> checkpointing = new ArrayList<>();

        TapeWatchingPolicy(CausalLM model) {
            this.model = model;
        }

        @Override
        protected CausalLM delegate() {
            return model;
        }

        @Override
        public Map<String, Var> parameters() {
            return model.parameters();
        }

        @Override
        public Var hiddenStates(Tape tape, ModelInput input) {
            if (tape.isRecording()) {
                checkpointing.add(tape.gradientCheckpointing());
            }
            return super.hiddenStates(tape, input);
        }
    }

    @Test
    void gradientCheckpointingReachesThePolicyAndChangesNoUpdate() throws IOException {
        List<PpoTrainer> trainers = new ArrayList<>();
        List<TapeWatchingPolicy> policies = new ArrayList<>();
        for (boolean enabled : new boolean[] {false, true}) {
            TapeWatchingPolicy policy = new TapeWatchingPolicy(TinyModels.random("llama", 21));
            PpoTrainer trainer = new PpoTrainer(policy, null, valueModelOf(policy), PpoTrainerTest::fractionOfSevens,
                    prompts(), config("checkpointing-" + enabled, Map.of("total_episodes", 8 * 2,
                            "gradient_checkpointing", enabled)));
            trainer.step();
            trainer.step();
            trainers.add(trainer);
            policies.add(policy);
        }
        assertTrue(!policies.get(0).checkpointing.isEmpty() && !policies.get(0).checkpointing.contains(true));
        assertEquals(policies.get(0).checkpointing.stream().map(c -> true).toList(), policies.get(1).checkpointing);
        assertSameValues(trainers.get(0).policy().parameters(), trainers.get(1).policy().parameters());
        assertSameValues(trainers.get(0).valueModel().parameters(), trainers.get(1).valueModel().parameters());
    }

    private static void assertSameValues(Map<String, Var> expected, Map<String, Var> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((name, v) -> assertTrue(Arrays.equals(v.value().data(), actual.get(name).value().data()),
                name));
    }

    @Test
    void rejectsSharedTensorsAndTooFewPrompts() {
        CausalLM policy = TinyModels.random("llama", 21);
        PpoConfig config = config("bad", Map.of());
        assertThrows(IllegalArgumentException.class, () -> new PpoTrainer(policy, policy, valueModelOf(policy),
                PpoTrainerTest::fractionOfSevens, prompts(), config));
        assertThrows(IllegalArgumentException.class, () -> new PpoTrainer(policy, null,
                RewardModel.fromCausalLM(policy, 1), PpoTrainerTest::fractionOfSevens, prompts(), config));
        IllegalArgumentException few = assertThrows(IllegalArgumentException.class, () -> new PpoTrainer(policy, null,
                valueModelOf(policy), PpoTrainerTest::fractionOfSevens, new int[][] {{1, 2, 3}}, config));
        assertTrue(few.getMessage().contains("batch_size 8"), few.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PpoConfig.defaults().withOptions(Map.of("kl_estimator",
                "k2")));
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> PpoConfig.defaults().withOptions(Map.of("kl_coeff", 0.1)));
        assertTrue(unknown.getMessage().contains("kl_coef"), unknown.getMessage());
    }
}
