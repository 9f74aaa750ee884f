package org.align4j.align.sft;

import org.align4j.InputException;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.ModelInput;

/**
 * The causal language-modelling loss: mean next-token cross-entropy over the positions that have a target
 * (transformers' {@code ForCausalLMLoss} with labels -100 on ignored positions).
 */
public final class LanguageModelLoss {
    private LanguageModelLoss() {
    }

    /** Mean cross-entropy of predicting {@code targets[i]} at each position i (targets < 0 are ignored). */
    public static Var meanCrossEntropy(Tape tape, CausalLM model, ModelInput input, int[] targets) {
        Var hidden = model.hiddenStates(tape, input);
        Var logp = Ops.tokenLogProbs(tape, hidden, model.lmHead(), targets);
        int count = 0;
        for (int t : targets) {
            if (t >= 0) {
                count++;
            }
        }
        if (count == 0) {
            throw new InputException("no position has a target: the loss is undefined");
        }
        float[] weights = new float[targets.length];
        float w = -1f / count;
        for (int i = 0; i < targets.length; i++) {
            weights[i] = targets[i] >= 0 ? w : 0f;
        }
        return Ops.weightedSum(tape, logp, weights);
    }

    /** Mean next-token cross-entropy over the non-padding labels of {@code input}. */
    public static Var nextToken(Tape tape, CausalLM model, ModelInput input) {
        return meanCrossEntropy(tape, model, input, input.nextTokenTargets());
    }
}
