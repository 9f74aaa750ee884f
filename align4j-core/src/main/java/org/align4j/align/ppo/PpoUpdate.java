package org.align4j.align.ppo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.align4j.align.CompletionRows;
import org.align4j.align.LossWithGradient;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.TokenStatistics;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.RewardModel;

/**
 * PPO's update step on a micro-batch of rollout rows (TRL's {@code PPOTrainer} inner loop): the policy's
 * temperature-scaled log-probabilities and the value model's values at the response tokens, the clipped policy and
 * value losses of {@link PpoLoss} joined to the tape with their analytic gradients, and the statistics TRL logs.
 */
final class PpoUpdate {
    private PpoUpdate() {
    }

    /** Per-micro-batch statistics of the PPO passes (TRL's stats arrays, flattened). */
    record Statistics(List<Double> approxKl, List<Double> policyClipFraction, List<Double> policyLoss,
                      List<Double> valueLoss, List<Double> valueClipFraction, List<Double> entropy,
                      List<Double> ratio) {
        Statistics() {
            this(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
                    new ArrayList<>(), new ArrayList<>());
        }

        /** Records one micro-batch's loss statistics. */
        void add(MicroBatchLoss loss) {
            approxKl.add(loss.policy().approxKl());
            policyClipFraction.add(loss.policy().clipFraction());
            policyLoss.add(loss.policy().loss());
            valueLoss.add(loss.value().loss());
            valueClipFraction.add(loss.value().clipFraction());
            entropy.add(loss.entropy());
            ratio.add(loss.policy().meanRatio());
        }
    }

    /**
     * Rollout rows trained together: prompts and responses with the rollout's log-probs, values, advantages and
     * returns per response token.
     */
    record MicroBatch(int[][] prompts, int[][] responses, double[][] oldLogprobs, double[][] oldValues,
                      double[][] advantages, double[][] returns) {
    }

    /**
     * A micro-batch's PPO loss on the tape.
     *
     * @param total   scale · (pg + vf_coef · vf), back-propagating into the policy and the value model
     * @param policy  the policy loss and its statistics
     * @param value   the value loss and its statistics
     * @param entropy mean entropy of the policy's (temperature-scaled) predictions at the response tokens
     */
    record MicroBatchLoss(Var total, PpoLoss.Policy policy, PpoLoss.Value value, double entropy) {
    }

    /**
     * The loss of one micro-batch: the policy's temperature-scaled log-probs and the value model's values at the
     * response tokens, joined with the analytic gradients of {@link PpoLoss} and scaled by {@code scale}.
     */
    static MicroBatchLoss microBatchLoss(Tape tape, CausalLM policy, RewardModel valueModel, MicroBatch batch,
                                         PpoConfig.Options options, double temperature, double scale) {
        CompletionRows s = CompletionRows.of(batch.prompts(), batch.responses());
        TokenStatistics tokenStatistics = TokenStatistics.forRows(s.targets().length);
        Var logp = s.logProbs(tape, policy, temperature, tokenStatistics);
        Var values = valueModel.values(tape, s.input());
        int tokens = Arrays.stream(batch.responses()).mapToInt(r -> r.length).sum();
        double[] newLogp = new double[tokens];
        double[] oldLogp = new double[tokens];
        double[] advantages = new double[tokens];
        double[] newValues = new double[tokens];
        double[] oldValues = new double[tokens];
        double[] returns = new double[tokens];
        int[] flatRows = new int[tokens];
        int k = 0;
        for (int i = 0; i < batch.responses().length; i++) {
            for (int t = 0; t < batch.responses()[i].length; t++, k++) {
                int row = s.tokenRow(i, t);
                flatRows[k] = row;
                newLogp[k] = logp.value().get(row);
                newValues[k] = values.value().get(row);
                oldLogp[k] = batch.oldLogprobs()[i][t];
                oldValues[k] = batch.oldValues()[i][t];
                advantages[k] = batch.advantages()[i][t];
                returns[k] = batch.returns()[i][t];
            }
        }
        PpoLoss.Policy pg = PpoLoss.policy(newLogp, oldLogp, advantages, options.cliprange());
        PpoLoss.Value vf = PpoLoss.value(newValues, oldValues, returns, options.cliprangeValue());
        float[] logpGradient = new float[s.targets().length];
        float[] valueGradient = new float[s.targets().length];
        double entropy = 0;
        for (int j = 0; j < tokens; j++) {
            logpGradient[flatRows[j]] = (float) (pg.gradient()[j] * scale);
            valueGradient[flatRows[j]] = (float) (options.vfCoef() * vf.gradient()[j] * scale);
            entropy += tokenStatistics.entropy()[flatRows[j]];
        }
        Var total = Ops.add(tape, LossWithGradient.of(tape, logp, logpGradient, pg.loss() * scale),
                LossWithGradient.of(tape, values, valueGradient, options.vfCoef() * vf.loss() * scale));
        return new MicroBatchLoss(total, pg, vf, entropy / tokens);
    }
}
