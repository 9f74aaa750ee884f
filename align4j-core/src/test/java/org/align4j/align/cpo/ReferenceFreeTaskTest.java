package org.align4j.align.cpo;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.align4j.align.TinyModels;
import org.align4j.autograd.Tape;
import org.align4j.data.Example;
import org.align4j.data.PreferencePair;
import org.align4j.data.PreferenceTokenization;
import org.align4j.data.TruncationMode;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.train.TrainerState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ReferenceFreeTask} on tiny random models: its gradients reach every parameter as finite differences of its
 * loss say (preference term and negative log-likelihood, sums and means, ORPO's prompt tokens), and CPO, SimPO and
 * ORPO raise the reward margins and accuracies of pairs where the chosen completion repeats token 7.
 */
class ReferenceFreeTaskTest {
    @TempDir
    Path tmp;

    /** Pairs of 2-token prompts whose chosen completions are 7s and rejected completions random tokens. */
    private static List<Example> examples(int count) {
        SplittableRandom rng = new SplittableRandom(9);
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] prompt = {1 + rng.nextInt(30), 1 + rng.nextInt(30)};
            int length = 2 + rng.nextInt(3);
            int[] chosen = new int[length];
            int[] rejected = new int[length];
            for (int t = 0; t < length; t++) {
                chosen[t] = 7;
                rejected[t] = 8 + rng.nextInt(30);
            }
            examples.add(new Example.TokenizedPreference("pairs:" + (i + 1), prompt, chosen, rejected));
        }
        return examples;
    }

    private static List<PreferencePair> pairs(int count) {
        return new PreferenceTokenization(null, 1024, TruncationMode.KEEP_START).tokenizeAll(examples(count)).pairs();
    }

    @Test
    void gradientsMatchFiniteDifferencesOfTheLoss() {
        List<PreferencePair> pairs = pairs(3);
        Map<String, PairLoss> losses = Map.of("cpo", new CpoLoss(CpoLossType.SIGMOID, 0.5, 0.1, 0.5, 0, 1.0),
                "simpo", new CpoLoss(CpoLossType.SIMPO, 2.0, 0, 0.5, 0, 0.3),
                "orpo", new OrpoLoss(0.5));
        losses.forEach((name, loss) -> {
            CausalLM model = TinyModels.random("llama", 4);
            ReferenceFreeTask task = new ReferenceFreeTask(model, loss, 0, new HfModelWriter(null, null));
            TinyModels.checkParameterGradients(name, model.parameters(), List.of("model.norm.weight",
                    "lm_head.weight", "model.layers.0.mlp.up_proj.weight"), tape -> task.loss(tape, pairs).loss());
        });
    }

    private Map<String, Object> options(String run) {
        Map<String, Object> options = new HashMap<>(Map.of("output_dir", tmp.resolve(run).toString(),
                "learning_rate", 1e-2, "per_device_train_batch_size", 4, "max_steps", 20, "logging_steps", 1,
                "disable_tqdm", true, "save_strategy", "no", "lr_scheduler_type", "constant",
                "gradient_checkpointing", false));
        return options;
    }

    /** The mean of the first and of the last three logged values of {@code key}. */
    private static double[] firstAndLast(TrainerState state, String key) {
        List<Double> values = state.logHistory().stream().filter(e -> e.containsKey(key))
                .map(e -> ((Number) e.get(key)).doubleValue()).toList();
        return new double[] {values.subList(0, 3).stream().mapToDouble(Double::doubleValue).average().orElseThrow(),
                values.subList(values.size() - 3, values.size()).stream().mapToDouble(Double::doubleValue).average()
                        .orElseThrow()};
    }

    @Test
    void cpoSimpoAndOrpoRaiseMarginsAndAccuracies() throws IOException {
        List<TrainerState> states = new ArrayList<>();
        HfModelWriter writer = new HfModelWriter(null, null);
        states.add(new CpoTrainer(TinyModels.random("llama", 4), CpoConfig.defaults().withOptions(options("cpo")),
                examples(16), List.of(), null, writer).train().state());
        Map<String, Object> simpo = options("simpo");
        simpo.putAll(Map.of("loss_type", "simpo", "cpo_alpha", 0.0, "beta", 2.0));
        states.add(new CpoTrainer(TinyModels.random("llama", 4), CpoConfig.defaults().withOptions(simpo),
                examples(16), List.of(), null, writer).train().state());
        states.add(new OrpoTrainer(TinyModels.random("llama", 4), OrpoConfig.defaults().withOptions(options("orpo")),
                examples(16), List.of(), null, writer).train().state());
        for (TrainerState state : states) {
            double[] margins = firstAndLast(state, "rewards/margins");
            double[] accuracies = firstAndLast(state, "rewards/accuracies");
            assertTrue(margins[1] > margins[0] + 0.05, "margins " + margins[0] + " -> " + margins[1]);
            assertTrue(accuracies[1] > accuracies[0] && accuracies[1] >= 0.9,
                    "accuracies " + accuracies[0] + " -> " + accuracies[1]);
        }
        assertTrue(states.get(2).logHistory().get(0).containsKey("log_odds_ratio"));
        assertTrue(states.get(0).logHistory().get(0).containsKey("nll_loss"));
    }

    @Test
    void evaluationOnAnInferenceTapeGivesTheTrainingLoss() {
        List<PreferencePair> pairs = pairs(4);
        ReferenceFreeTask task = new ReferenceFreeTask(TinyModels.random("gpt2", 2), new OrpoLoss(0.1), 0,
                new HfModelWriter(null, null));
        double training = task.loss(Tape.recording(), pairs).lossValue();
        double evaluation = task.evaluationLoss(pairs).lossValue();
        assertTrue(Math.abs(training - evaluation) < 1e-5, training + " vs " + evaluation);
    }
}
