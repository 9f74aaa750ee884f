package org.align4j.align.sft;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.InputException;
import org.align4j.align.LossWithGradient;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.data.DataException;
import org.align4j.data.SequenceBatch;
import org.align4j.data.PreferencePair;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.CausalLM;
import org.align4j.train.TaskOutput;
import org.align4j.train.TrainingTask;

/**
 * Unlikelihood training on preference pairs, the baseline of Rafailov et al. 2023 ("Direct Preference Optimization",
 * section 6) built on the token-level unlikelihood objective of Welleck et al. 2019 ("Neural Text Generation with
 * Unlikelihood Training"): the chosen response y_w is made likely and each token of the rejected response y_l
 * unlikely,
 *
 * <pre>
 *   L = −(1/|W|) Σ_{t∈W} log p_θ(y_w,t | x, y_w,&lt;t)
 *       − α · (1/|L|) Σ_{t∈L} log(1 − p_θ(y_l,t | x, y_l,&lt;t))
 * </pre>
 *
 * where W and L are the loss positions (completion tokens) of the chosen and rejected sequences of the batch. This is
 * the token-level reading of the sequence-level objective log p(y_w|x) − α log p(y_l|x): penalising log p(y_l|x)
 * itself is unbounded below, while −log(1 − p) vanishes as a token's probability goes to 0. As in Welleck et al.'s
 * reference implementation, 1 − p is clamped at {@value #MIN_ONE_MINUS_PROB} (no gradient where the clamp applies).
 *
 * <p>The first term is exactly {@link SftTask}'s loss on the chosen sequences (and logs its {@code
 * mean_token_accuracy} and {@code entropy}); the rejected sequences run through the model in a second forward pass.
 * Extra metrics: {@code nll_chosen} (the first term), {@code unlikelihood_rejected} (the mean −log(1 − p) over
 * rejected tokens, before α) and {@code rejected_token_prob} (their mean probability). Checkpoints are SftTask's.
 */
public final class UnlikelihoodTask implements TrainingTask<PreferencePair> {
    /** Lower bound on 1 − p in the unlikelihood term. */
    public static final double MIN_ONE_MINUS_PROB = 1e-5;

    private final CausalLM model;
    private final int padId;
    private final double alpha;
    private final SftTask likelihood;

    /**
     * Trains {@code model} with unlikelihood weight {@code alpha} (≥ 0), padding with {@code padId}; saved models
     * carry {@code generationConfig} and the tokenizer files of {@code tokenizerDir} (null: none), as SftTask saves.
     */
    public UnlikelihoodTask(CausalLM model, int padId, double alpha, ObjectNode generationConfig, Path tokenizerDir) {
        if (!(alpha >= 0 && Double.isFinite(alpha))) {
            throw new InputException("the unlikelihood weight alpha must be a finite number >= 0, got "
                    + alpha);
        }
        this.model = model;
        this.padId = padId;
        this.alpha = alpha;
        this.likelihood = new SftTask(model, padId, generationConfig, tokenizerDir);
    }

    @Override
    public Map<String, Var> trainableParameters() {
        return likelihood.trainableParameters();
    }

    @Override
    public TaskOutput loss(Tape tape, List<PreferencePair> batch) {
        List<TokenizedSequence> chosen = new ArrayList<>(batch.size());
        List<TokenizedSequence> rejected = new ArrayList<>(batch.size());
        for (PreferencePair pair : batch) {
            chosen.add(pair.chosen());
            rejected.add(pair.rejected());
        }
        TaskOutput nll = likelihood.loss(tape, chosen);
        SequenceBatch b = SequenceBatch.of(rejected, padId);
        int count = b.targetCount();
        if (count == 0) {
            throw new DataException(batch.get(0).source() + ": batch has no rejected completion tokens");
        }
        int[] targets = b.targets();
        Var logp = Ops.tokenLogProbs(tape, model.hiddenStates(tape, b.input()), model.lmHead(), targets);
        float[] gradient = new float[targets.length];
        double unlikelihood = 0;
        double probability = 0;
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] < 0) {
                continue;
            }
            double lp = logp.value().get(i);
            double p = Math.exp(lp);
            double oneMinusP = -Math.expm1(lp);
            unlikelihood -= Math.log(Math.max(oneMinusP, MIN_ONE_MINUS_PROB));
            probability += p;
            if (oneMinusP > MIN_ONE_MINUS_PROB) {
                gradient[i] = (float) (alpha / count * p / oneMinusP);
            }
        }
        Var penalty = LossWithGradient.of(tape, logp, gradient, alpha * unlikelihood / count);
        Map<String, Double> metrics = new LinkedHashMap<>(nll.metrics());
        metrics.put("nll_chosen", nll.lossValue());
        metrics.put("unlikelihood_rejected", unlikelihood / count);
        metrics.put("rejected_token_prob", probability / count);
        return new TaskOutput(Ops.add(tape, nll.loss(), penalty), metrics, nll.tokens() + b.tokens());
    }

    @Override
    public void saveModel(Path directory) {
        likelihood.saveModel(directory);
    }

    @Override
    public void saveFinalModel(Path directory) {
        likelihood.saveFinalModel(directory);
    }

    @Override
    public void loadModel(Path directory) {
        likelihood.loadModel(directory);
    }

    @Override
    public JsonNode rngState() {
        return likelihood.rngState();
    }

    @Override
    public void restoreRngState(JsonNode state) {
        likelihood.restoreRngState(state);
    }
}
