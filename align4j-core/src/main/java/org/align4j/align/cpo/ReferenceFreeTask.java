package org.align4j.align.cpo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.align.LossWithGradient;
import org.align4j.align.PolicyTask;
import org.align4j.align.dpo.CompletionLogitStatistics;
import org.align4j.align.dpo.CompletionLogpReduction;
import org.align4j.align.dpo.DpoMetrics;
import org.align4j.align.dpo.PreferenceBatch;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.data.PreferencePair;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.train.TaskOutput;
import org.align4j.train.TrainingTask;

/**
 * CPO, SimPO and ORPO as a {@link TrainingTask} of the shared trainer: a {@link PairLoss} on a micro-batch of
 * preference pairs with no reference model. One forward pass of the policy runs over [chosen..., rejected...]
 * ({@link PreferenceBatch}); each completion's log-probability is the sum (or mean) of its token log-probabilities;
 * the chosen responses' negative log-likelihood is the mean over their completion tokens (over prompt and completion
 * for ORPO, as TRL computes it). The gradient of mean(loss_i) + w·NLL goes back into the model as per-token weights
 * of one weighted sum.
 *
 * <p>Logged metrics, TRL's names: {@code entropy}, {@code mean_token_accuracy}, {@code logits/chosen},
 * {@code logits/rejected} ({@link CompletionLogitStatistics}), {@code rewards/chosen}, {@code rewards/rejected},
 * {@code rewards/accuracies}, {@code rewards/margins}, {@code logps/chosen}, {@code logps/rejected}
 * ({@link DpoMetrics}, with the rewards β·r), {@code nll_loss} (0 when its weight is 0, as TRL logs it) and the
 * loss's own ({@code log_odds_ratio}, {@code log_odds_chosen} for ORPO).
 */
public final class ReferenceFreeTask extends PolicyTask<PreferencePair> {
    private final PairLoss loss;
    private final int padId;

    /**
     * A task training {@code policy} with {@code loss}.
     *
     * @param padId  the id padding the rows (any id: padding is masked)
     * @param writer how checkpoints and the final model are written
     */
    public ReferenceFreeTask(CausalLM policy, PairLoss loss, int padId, HfModelWriter writer) {
        super(policy, writer);
        this.loss = loss;
        this.padId = padId;
    }

    @Override
    public TaskOutput loss(Tape tape, List<PreferencePair> pairs) {
        PreferenceBatch batch = PreferenceBatch.of(pairs, padId);
        int n = batch.size();
        int seq = batch.input().seq();
        Var hidden = policy.hiddenStates(tape, batch.input());
        CompletionLogitStatistics statistics = new CompletionLogitStatistics(batch, false);
        int[] targets = loss.nllOverPrompt() ? batch.targetsWithChosenPrompts() : batch.targets();
        Var logp = Ops.tokenLogProbs(tape, hidden, policy.lmHead(), targets, statistics);
        double[][] chosenTokens = batch.chosenValues(logp);
        double[][] rejectedTokens = batch.rejectedValues(logp);
        CompletionLogpReduction sums = CompletionLogpReduction.sum(batch.chosenMask(), batch.rejectedMask());
        int[] chosenLengths = sums.chosenLengths();
        int[] rejectedLengths = sums.rejectedLengths();
        double[] chosen = perToken(sums.chosenLogps(chosenTokens), chosenLengths);
        double[] rejected = perToken(sums.rejectedLogps(rejectedTokens), rejectedLengths);
        PairLoss.Result result = loss.compute(chosen, rejected);
        float[] weights = new float[2 * n * seq];
        double nllSum = 0;
        int nllTokens = 0;
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < seq; t++) {
                if (targets[i * seq + t] >= 0 && (loss.nllOverPrompt() || batch.chosenMask()[i][t])) {
                    nllSum -= chosenTokens[i][t];
                    nllTokens++;
                }
            }
        }
        double nllSlope = loss.nllWeight() == 0 ? 0 : -loss.nllWeight() / Math.max(nllTokens, 1);
        for (int i = 0; i < n; i++) {
            double perChosen = result.chosenGradient()[i] / (loss.averagesTokens() ? chosenLengths[i] : 1);
            double perRejected = result.rejectedGradient()[i] / (loss.averagesTokens() ? rejectedLengths[i] : 1);
            for (int t = 0; t < seq; t++) {
                int c = i * seq + t;
                double w = batch.chosenMask()[i][t] ? perChosen : 0;
                if (targets[c] >= 0 && (loss.nllOverPrompt() || batch.chosenMask()[i][t])) {
                    w += nllSlope;
                }
                weights[c] = (float) w;
                weights[(n + i) * seq + t] = (float) (batch.rejectedMask()[i][t] ? perRejected : 0);
            }
        }
        double nll = nllSum / Math.max(nllTokens, 1);
        double meanLoss = 0;
        for (double l : result.losses()) {
            meanLoss += l / n;
        }
        double total = meanLoss + loss.nllWeight() * nll;
        Map<String, Double> metrics = new LinkedHashMap<>(statistics.metrics());
        metrics.putAll(DpoMetrics.of(result.chosenRewards(), result.rejectedRewards(), chosen, rejected).asMap());
        metrics.put("nll_loss", loss.nllWeight() == 0 ? 0 : nll);
        metrics.putAll(result.metrics());
        return new TaskOutput(LossWithGradient.of(tape, logp, weights, total), metrics, batch.tokens());
    }

    /** The completions' log-probability sums, or their means per token when the loss averages tokens. */
    private double[] perToken(double[] sums, int[] lengths) {
        if (!loss.averagesTokens()) {
            return sums;
        }
        double[] means = new double[sums.length];
        for (int i = 0; i < sums.length; i++) {
            means[i] = sums[i] / lengths[i];
        }
        return means;
    }
}
