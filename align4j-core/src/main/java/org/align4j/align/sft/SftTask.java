package org.align4j.align.sft;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.nio.file.Path;
import org.align4j.align.PolicyTask;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.TokenStatistics;
import org.align4j.autograd.Var;
import org.align4j.data.DataException;
import org.align4j.data.SequenceBatch;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.train.TaskOutput;

/**
 * Supervised fine-tuning (TRL's {@code SFTTrainer}): mean next-token cross-entropy over the loss positions of each
 * batch (the completion of prompt-completion data). With weighted sequences it is C-RLFT's weighted loss
 * (Wang et al. 2023, OpenChat, eq. 5): Σ_t w_t CE_t / Σ_t w_t. It logs TRL's {@code mean_token_accuracy} (share of loss
 * positions whose most likely token is the target) and {@code entropy} (mean entropy of the predicted distribution
 * over loss positions).
 */
public final class SftTask extends PolicyTask<TokenizedSequence> {
    private final int padId;

    /**
     * Fine-tunes {@code model}, padding batches with {@code padId}. Saved models carry {@code generationConfig} and
     * the tokenizer files of {@code tokenizerDir} (null: none), so that every checkpoint loads on its own.
     */
    public SftTask(CausalLM model, int padId, ObjectNode generationConfig, Path tokenizerDir) {
        super(model, new HfModelWriter(generationConfig, tokenizerDir));
        this.padId = padId;
    }

    @Override
    public TaskOutput loss(Tape tape, List<TokenizedSequence> batch) {
        SequenceBatch b = SequenceBatch.of(batch, padId);
        int count = b.targetCount();
        if (count == 0) {
            throw new DataException(batch.get(0).source() + ": batch has no completion tokens to train on");
        }
        TokenStatistics stats = TokenStatistics.forRows(b.targets().length);
        Var logp = Ops.tokenLogProbs(tape, policy.hiddenStates(tape, b.input()), policy.lmHead(), b.targets(), stats);
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
}
