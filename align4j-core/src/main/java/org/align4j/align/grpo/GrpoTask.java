package org.align4j.align.grpo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.align.CompletionRows;
import org.align4j.align.LossWithGradient;
import org.align4j.align.PolicyTask;
import org.align4j.autograd.Tape;
import org.align4j.autograd.TokenStatistics;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.train.TaskOutput;
import org.align4j.train.TrainingTask;

/**
 * GRPO and RLOO as a {@link TrainingTask} of the shared trainer: the loss of a micro-batch of sampled completions
 * ({@link GrpoRollouts}). One teacher-forced forward of the policy gives the log-probability of every completion
 * token (logits divided by the sampling temperature, as TRL does); the {@link PolicyLoss} gives the loss and its
 * gradient per token in double precision, which go back into the model as the per-token weights of one weighted sum
 * ({@link LossWithGradient}).
 *
 * <p>Logged metrics, TRL's names: the generation batch's ({@code reward}, {@code reward_std},
 * {@code rewards/<function>/mean} and {@code /std}, {@code frac_reward_zero_std}, {@code completions/mean_length}
 * and the other lengths, {@code completions/clipped_ratio}), then the loss's ({@code kl}, {@code clip_ratio/...})
 * and {@code entropy} (mean over the active completion tokens of the predicted distributions' entropy). The token
 * count is the prompt and completion tokens, once per generation batch (TRL's {@code num_tokens}).
 */
public final class GrpoTask extends PolicyTask<GrpoSample> {
    private final PolicyLoss loss;
    private final double temperature;

    /**
     * A task training {@code policy} with {@code loss}.
     *
     * @param temperature the sampling temperature the logits are divided by
     * @param writer      how checkpoints and the final model are written
     */
    public GrpoTask(CausalLM policy, PolicyLoss loss, double temperature, HfModelWriter writer) {
        super(policy, writer);
        this.loss = loss;
        this.temperature = temperature;
    }

    @Override
    public TaskOutput loss(Tape tape, List<GrpoSample> samples) {
        int n = samples.size();
        int[][] promptIds = new int[n][];
        int[][] completionIds = new int[n][];
        double[][] oldLogps = samples.get(0).oldLogps() == null ? null : new double[n][];
        double[][] refLogps = samples.get(0).refLogps() == null ? null : new double[n][];
        double[] advantages = new double[n];
        boolean[] masked = new boolean[n];
        long tokens = 0;
        for (int i = 0; i < n; i++) {
            GrpoSample s = samples.get(i);
            promptIds[i] = s.promptIds();
            completionIds[i] = s.completionIds();
            if (oldLogps != null) {
                oldLogps[i] = s.oldLogps();
            }
            if (refLogps != null) {
                refLogps[i] = s.refLogps();
            }
            advantages[i] = s.advantage();
            masked[i] = s.masked();
            tokens += s.promptIds().length + s.completionIds().length;
        }
        CompletionRows rows = CompletionRows.of(promptIds, completionIds);
        TokenStatistics statistics = TokenStatistics.forRows(rows.targets().length);
        Var logp = rows.logProbs(tape, policy, temperature, statistics);
        double[][] current = new double[n][];
        for (int i = 0; i < n; i++) {
            current[i] = rows.gather(logp.value(), i);
        }
        GrpoSample.Context context = samples.get(0).context();
        PolicyLoss.Result result = loss.compute(new CompletionLogps(current, oldLogps, refLogps, advantages, masked),
                context.globalTokens(), context.accumulation());
        float[] weights = new float[rows.targets().length];
        double entropy = 0;
        int active = 0;
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < completionIds[i].length; t++) {
                int row = rows.tokenRow(i, t);
                weights[row] = (float) result.gradient()[i][t];
                if (!masked[i]) {
                    entropy += statistics.entropy()[row];
                    active++;
                }
            }
        }
        Map<String, Double> metrics = new LinkedHashMap<>(context.generationMetrics());
        metrics.putAll(result.metrics());
        metrics.put("entropy", entropy / Math.max(active, 1));
        return new TaskOutput(LossWithGradient.of(tape, logp, weights, result.loss()), metrics,
                context.countsTokens() ? tokens : 0);
    }
}
