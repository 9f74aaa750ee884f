package org.align4j.align.kto;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.align.LossWithGradient;
import org.align4j.align.PolicyTask;
import org.align4j.align.ReferencePolicy;
import org.align4j.align.dpo.CompletionLogitStatistics;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.data.SequenceBatch;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.train.TaskOutput;
import org.align4j.train.TrainingTask;

/**
 * KTO as a {@link TrainingTask} of the shared trainer ({@link KtoLoss} on a micro-batch of {@link KtoExample}s):
 * one forward pass of the policy over the completions (the gradient path), the reference over the same rows, and for
 * the kto loss both over the mismatched sequences (no gradient); each completion's log-probability is the sum of its
 * token log-probabilities.
 *
 * <p>Logged metrics, TRL's names: {@code kl}, {@code entropy}, {@code logits/chosen}, {@code logits/rejected}
 * (desirable and undesirable completions), and where the micro-batch has them {@code rewards/chosen},
 * {@code logps/chosen}, {@code rewards/rejected}, {@code logps/rejected}, {@code rewards/margins}.
 */
public final class KtoTask extends PolicyTask<KtoExample> {
    private final ReferencePolicy reference;
    private final KtoLoss loss;
    private final int padId;

    /**
     * A task training {@code policy} against {@code reference}.
     *
     * @param padId  the id padding the rows (any id: padding is masked)
     * @param writer how checkpoints and the final model are written
     */
    public KtoTask(CausalLM policy, ReferencePolicy reference, KtoLoss loss, int padId, HfModelWriter writer) {
        super(policy, writer);
        this.reference = reference;
        this.loss = loss;
        this.padId = padId;
    }

    @Override
    public TaskOutput loss(Tape tape, List<KtoExample> examples) {
        int n = examples.size();
        List<TokenizedSequence> sequences = new ArrayList<>(n);
        boolean[] desirable = new boolean[n];
        for (int i = 0; i < n; i++) {
            sequences.add(examples.get(i).sequence());
            desirable[i] = examples.get(i).desirable();
        }
        SequenceBatch rows = SequenceBatch.of(sequences, padId);
        int seq = rows.input().seq();
        CompletionLogitStatistics statistics = new CompletionLogitStatistics(rows.targets(),
                row -> desirable[row / seq], false);
        Var logp = Ops.tokenLogProbs(tape, policy.hiddenStates(tape, rows.input()), policy.lmHead(), rows.targets(),
                statistics);
        double[] policyLogps = rows.rowSums(logp.value());
        double[] referenceLogps = reference.apply(model -> logps(model, rows));
        double[] klPolicy = null;
        double[] klReference = null;
        if (loss.needsKl()) {
            List<TokenizedSequence> mismatched = examples.stream().map(KtoExample::mismatched).toList();
            SequenceBatch klRows = SequenceBatch.of(mismatched, padId);
            klPolicy = logps(policy, klRows);
            klReference = reference.apply(model -> logps(model, klRows));
        }
        KtoLoss.Result result = loss.compute(policyLogps, referenceLogps, desirable, klPolicy, klReference);
        float[] weights = new float[rows.targets().length];
        for (int r = 0; r < weights.length; r++) {
            if (rows.targets()[r] >= 0) {
                weights[r] = (float) result.gradient()[r / seq];
            }
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("kl", result.kl());
        Map<String, Double> logits = statistics.metrics();
        logits.remove("mean_token_accuracy");
        metrics.putAll(logits);
        putMeans(metrics, "chosen", result.rewards(), policyLogps, desirable, true);
        putMeans(metrics, "rejected", result.rewards(), policyLogps, desirable, false);
        if (metrics.containsKey("rewards/chosen") && metrics.containsKey("rewards/rejected")) {
            metrics.put("rewards/margins", metrics.get("rewards/chosen") - metrics.get("rewards/rejected"));
        }
        return new TaskOutput(LossWithGradient.of(tape, logp, weights, result.loss()), metrics, rows.tokens());
    }

    /** {@code rewards/<side>} and {@code logps/<side>}: means over the completions labelled {@code label}. */
    private static void putMeans(Map<String, Double> metrics, String side, double[] rewards, double[] logps,
                                 boolean[] desirable, boolean label) {
        double rewardSum = 0;
        double logpSum = 0;
        int count = 0;
        for (int i = 0; i < rewards.length; i++) {
            if (desirable[i] == label) {
                rewardSum += rewards[i];
                logpSum += logps[i];
                count++;
            }
        }
        if (count > 0) {
            metrics.put("rewards/" + side, rewardSum / count);
            metrics.put("logps/" + side, logpSum / count);
        }
    }

    /** Each row's completion log-probability under {@code model}, on an inference tape. */
    private static double[] logps(CausalLM model, SequenceBatch rows) {
        Tape tape = Tape.inference();
        return rows.rowSums(Ops.tokenLogProbs(tape, model.hiddenStates(tape, rows.input()), model.lmHead(),
                rows.targets()).value());
    }
}
