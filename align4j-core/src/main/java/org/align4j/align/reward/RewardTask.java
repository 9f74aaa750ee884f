package org.align4j.align.reward;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.InputException;
import org.align4j.align.LossWithGradient;
import org.align4j.align.PolicyFiles;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.data.SequenceBatch;
import org.align4j.data.PreferencePair;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.RewardModel;
import org.align4j.model.io.Dtype;
import org.align4j.nn.LoraModel;
import org.align4j.nn.PeftTaskType;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.TaskOutput;
import org.align4j.train.TrainingTask;

/**
 * Reward modelling (TRL's {@code RewardTrainer}): a micro-batch of n preference pairs runs through the
 * {@link RewardModel} in one forward pass as 2n rows [chosen_1..n, rejected_1..n], right-padded with the pad id as
 * TRL's {@code DataCollatorForPreference} lays them out, and the loss is {@link RewardLoss}'s Bradley-Terry loss
 * (with the pairs' margins and {@code center_rewards_coefficient}). Logged metrics are TRL's: {@code accuracy},
 * {@code margin}, {@code min_reward}, {@code mean_reward} and {@code max_reward} over the 2n rewards; the trainer adds
 * {@code num_tokens} (non-padding tokens of both sides).
 */
public final class RewardTask implements TrainingTask<PreferencePair> {
    private final RewardModel model;
    private final int padId;
    private final Double centerRewardsCoefficient;
    private final Path tokenizerDir;

    /**
     * Trains {@code model}, which must have a {@code pad_token_id} (TRL sets it from the tokenizer). Saved models
     * carry the tokenizer files of {@code tokenizerDir} (null: none), so that every checkpoint loads on its own.
     *
     * @param centerRewardsCoefficient TRL's {@code center_rewards_coefficient}, null for none
     */
    public RewardTask(RewardModel model, Double centerRewardsCoefficient, Path tokenizerDir) {
        this.model = model;
        this.padId = model.padTokenId().orElseThrow(() -> new InputException(
                "the reward model needs a pad_token_id to pad batches and find each sequence's last token"));
        this.centerRewardsCoefficient = centerRewardsCoefficient;
        this.tokenizerDir = tokenizerDir;
    }

    @Override
    public Map<String, Var> trainableParameters() {
        return model.parameters();
    }

    @Override
    public TaskOutput loss(Tape tape, List<PreferencePair> batch) {
        int n = batch.size();
        List<TokenizedSequence> rows = new ArrayList<>(2 * n);
        double[] margins = new double[n];
        for (int i = 0; i < n; i++) {
            rows.add(batch.get(i).chosen());
            margins[i] = batch.get(i).margin();
        }
        for (PreferencePair pair : batch) {
            rows.add(pair.rejected());
        }
        SequenceBatch b = SequenceBatch.of(rows, padId);
        Var rewards = model.rewards(tape, b.input());
        double[] chosen = new double[n];
        double[] rejected = new double[n];
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        for (int i = 0; i < 2 * n; i++) {
            double r = rewards.value().get(i);
            (i < n ? chosen : rejected)[i % n] = r;
            min = Math.min(min, r);
            max = Math.max(max, r);
            sum += r;
        }
        RewardLoss.Result result = RewardLoss.compute(chosen, rejected, margins, centerRewardsCoefficient);
        float[] gradient = new float[2 * n];
        for (int i = 0; i < n; i++) {
            gradient[i] = (float) result.chosenGradient()[i];
            gradient[n + i] = (float) result.rejectedGradient()[i];
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("min_reward", min);
        metrics.put("mean_reward", sum / (2 * n));
        metrics.put("max_reward", max);
        metrics.put("accuracy", result.accuracy());
        metrics.put("margin", result.margin());
        return new TaskOutput(LossWithGradient.of(tape, rewards, gradient, result.loss()), metrics, b.tokens());
    }

    /** A checkpoint's model files: the float32 weights, so that resuming is exact. */
    @Override
    public void saveModel(Path directory) {
        save(directory, Dtype.F32);
    }

    /** The final model files: the weights in the model's dtype (its input checkpoint's unless chosen). */
    @Override
    public void saveFinalModel(Path directory) {
        save(directory, model.config().dtype());
    }

    /**
     * The reward model's files: with LoRA adapters on the backbone the adapter in PEFT's layout for a sequence
     * classifier ({@code task_type} SEQ_CLS, the head {@code score.weight} saved whole as a module to save), else
     * the whole model; then the tokenizer files.
     */
    private void save(Path directory, Dtype dtype) {
        try {
            if (model.backbone() instanceof LoraModel lora) {
                lora.write(directory, PeftTaskType.SEQ_CLS, savedHead());
            } else {
                model.write(directory, dtype);
            }
            if (tokenizerDir != null) {
                Tokenizer.copyFiles(tokenizerDir, directory);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(directory + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void loadModel(Path directory) {
        if (model.backbone() instanceof LoraModel lora) {
            lora.loadAdapterWeights(directory, savedHead());
        } else {
            model.loadWeights(directory);
        }
    }

    @Override
    public JsonNode rngState() {
        return PolicyFiles.rngState(model.backbone());
    }

    @Override
    public void restoreRngState(JsonNode state) {
        PolicyFiles.restoreRngState(model.backbone(), state);
    }

    private Map<String, Var> savedHead() {
        return Map.of(RewardModel.SCORE_WEIGHT, model.scoreWeight());
    }
}
