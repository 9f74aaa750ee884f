package org.align4j.align.kto;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.align4j.align.ReferencePolicy;
import org.align4j.align.TinyModels;
import org.align4j.data.Example;
import org.align4j.data.PreferenceTokenization;
import org.align4j.data.TruncationMode;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.nn.LoraConfig;
import org.align4j.nn.LoraModel;
import org.align4j.nn.TargetModules;
import org.align4j.train.TrainerState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link KtoTask} and {@link KtoTrainer} on tiny random models: gradients against finite differences of the task's
 * loss, rising reward margins with a frozen-copy reference and with a LoRA policy's base as reference.
 */
class KtoTrainerTest {
    @TempDir
    Path tmp;

    /** Unpaired examples: completions of token 7 are desirable, random tokens undesirable, alternating. */
    private static List<Example> examples(int count) {
        SplittableRandom rng = new SplittableRandom(4);
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] prompt = {1 + rng.nextInt(30), 1 + rng.nextInt(30)};
            int[] chosen = {7, 7, 7};
            int[] rejected = {8 + rng.nextInt(30), 8 + rng.nextInt(30), 8 + rng.nextInt(30)};
            examples.add(new Example.TokenizedPreference("pairs:" + (i + 1), prompt, chosen, rejected));
        }
        return examples;
    }

    /**
     * The gradient reaches the parameters through the completions' log-probabilities. The apo_zero_unpaired loss has
     * no other dependence on the policy, so its gradient is the finite differences' exactly; kto's KL estimate also
     * depends on the policy but gets no gradient, as in TRL (its loss at a fixed estimate is {@link KtoLossTest}'s).
     */
    @Test
    void gradientsMatchFiniteDifferencesOfTheLoss() {
        List<KtoExample> batch = KtoData.prepare(new PreferenceTokenization(null, 64, TruncationMode.KEEP_START),
                examples(2), 4, false).examples();
        CausalLM model = TinyModels.random("llama", 5);
        KtoLoss loss = new KtoLoss(KtoLossType.APO_ZERO_UNPAIRED, 0.5, 1.2, 0.9);
        // a reference apart from the policy, so that the rewards are not zero
        KtoTask task = new KtoTask(model, ReferencePolicy.of(model, TinyModels.random("llama", 6)), loss, 0,
                new HfModelWriter(null, null));
        TinyModels.checkParameterGradients("apo_zero_unpaired", model.parameters(), List.of("model.norm.weight",
                "lm_head.weight", "model.layers.0.mlp.down_proj.weight"), tape -> task.loss(tape, batch).loss());
    }

    /**
     * Options of a 3-epoch run logged once per epoch: the 16 pairs unpair into 16 desirable then 16 undesirable
     * examples, visited in order (train_sampling_strategy sequential), so each micro-batch of 4 holds one label and
     * each epoch's log entry has both rewards.
     */
    private Map<String, Object> options(String run) {
        return new HashMap<>(Map.of("output_dir", tmp.resolve(run).toString(), "learning_rate", 1e-2,
                "per_device_train_batch_size", 4, "num_train_epochs", 3, "logging_steps", 8, "disable_tqdm", true,
                "save_strategy", "no", "lr_scheduler_type", "constant", "gradient_checkpointing", false));
    }

    /** rewards/chosen − rewards/rejected of the first and of the last log entry. */
    private static double[] firstAndLastMargin(TrainerState state) {
        List<Double> margins = state.logHistory().stream().filter(e -> e.containsKey("rewards/chosen"))
                .map(e -> ((Number) e.get("rewards/chosen")).doubleValue()
                        - ((Number) e.get("rewards/rejected")).doubleValue()).toList();
        return new double[] {margins.getFirst(), margins.getLast()};
    }

    @Test
    void marginsRiseAgainstAFrozenCopyAndAgainstALoraBase() throws IOException {
        TrainerState full = new KtoTrainer(TinyModels.random("llama", 5), null,
                KtoConfig.defaults().withOptions(options("full")), examples(16), List.of(), null,
                new HfModelWriter(null, null)).train().state();
        double[] margins = firstAndLastMargin(full);
        assertTrue(margins[1] > margins[0] + 0.05, "margins " + margins[0] + " -> " + margins[1]);
        assertTrue(full.logHistory().stream().filter(e -> e.containsKey("kl"))
                .allMatch(e -> ((Number) e.get("kl")).doubleValue() >= 0), "the KL estimate is clamped at 0");
        LoraModel lora = LoraModel.create(TinyModels.random("llama", 5), LoraConfig.of(4, 8,
                new TargetModules.AllLinear()), 1);
        Map<String, Object> apo = options("lora");
        apo.put("loss_type", "apo_zero_unpaired");
        apo.put("learning_rate", 3e-2);
        TrainerState adapters = new KtoTrainer(lora, null, KtoConfig.defaults().withOptions(apo), examples(16),
                List.of(), null, new HfModelWriter(null, null)).train().state();
        double[] loraMargins = firstAndLastMargin(adapters);
        assertTrue(loraMargins[1] > loraMargins[0] + 0.05, "margins " + loraMargins[0] + " -> " + loraMargins[1]);
    }
}
