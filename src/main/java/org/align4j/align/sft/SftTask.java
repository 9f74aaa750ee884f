package org.align4j.align.sft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.nio.file.Path;
import org.align4j.align.PolicyFiles;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.TokenStatistics;
import org.align4j.autograd.Var;
import org.align4j.data.DataException;
import org.align4j.data.SequenceBatch;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.model.io.Dtype;
import org.align4j.train.TaskOutput;
import org.align4j.train.TrainingTask;

/**
 * Supervised fine-tuning (TRL's {@code SFTTrainer}): mean next-token cross-entropy over the loss positions of each
 * batch (the completion of prompt-completion data). With weighted sequences it is C-RLFT's weighted loss
 * (Wang et al. 2023, OpenChat, eq. 5): Σ_t w_t CE_t / Σ_t w_t. It logs TRL's {@code mean_token_accuracy} (share of loss
 * positions whose most likely token is the target) and {@code entropy} (mean entropy of the predicted distribution
 * over loss positions).
 */
public final class SftTask implements TrainingTask<TokenizedSequence> {
    private final CausalLM model;
    private final int padId;
    private final HfModelWriter writer;

    /**
     * Fine-tunes {@code model}, padding batches with {@code padId}. Saved models carry {@code generationConfig} and
     * the tokenizer files of {@code tokenizerDir} (null: none), so that every checkpoint loads on its own.
     */
    public SftTask(CausalLM model, int padId, ObjectNode generationConfig, Path tokenizerDir) {
        this.model = model;
        this.padId = padId;
        this.writer = new HfModelWriter(generationConfig, tokenizerDir);
    }

    @Override
    public Map<String, Var> trainableParameters() {
        return model.parameters();
    }

    @Override
    public TaskOutput loss(Tape tape, List<TokenizedSequence> batch) {
        SequenceBatch b = SequenceBatch.of(batch, padId);
        int count = b.targetCount();
        if (count == 0) {
            throw new DataException(batch.get(0).source() + ": batch has no completion tokens to train on");
        }
        TokenStatistics stats = TokenStatistics.forRows(b.targets().length);
        Var logp = Ops.tokenLogProbs(tape, model.hiddenStates(tape, b.input()), model.lmHead(), b.targets(), stats);
        double weightSum = 0;
        for (float w : b.targetWeights()) {
            weightSum += w;
        }
        float[] weights = new float[b.targets().length];
        double entropy = 0;
        for (int i = 0; i < weights.length; i++) {
            if (b.targets()[i] >= 0) {
                weights[i] = (float) (-b.targetWeights()[i] / weightSum);
                entropy += stats.entropy()[i];
            }
        }
        Var loss = Ops.weightedSum(tape, logp, weights);
        return new TaskOutput(loss, Map.of("mean_token_accuracy", stats.correct(b.targets()) / (double) count,
                "entropy", entropy / count), b.tokens());
    }

    /** A checkpoint's model files: the float32 weights, so that resuming is exact. */
    @Override
    public void saveModel(Path directory) {
        save(directory, Dtype.F32);
    }

    /**
     * The final model files: the weights in the model's dtype (its input checkpoint's unless chosen), or a LoRA
     * model's adapter.
     */
    @Override
    public void saveFinalModel(Path directory) {
        save(directory, model.config().dtype());
    }

    private void save(Path directory, Dtype dtype) {
        PolicyFiles.write(model, writer, directory, dtype);
    }

    @Override
    public JsonNode rngState() {
        return PolicyFiles.rngState(model);
    }

    @Override
    public void restoreRngState(JsonNode state) {
        PolicyFiles.restoreRngState(model, state);
    }

    @Override
    public void loadModel(Path directory) {
        PolicyFiles.load(model, directory);
    }
}
