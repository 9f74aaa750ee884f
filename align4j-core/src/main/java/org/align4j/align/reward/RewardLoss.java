package org.align4j.align.reward;

import org.align4j.align.Logistic;

/**
 * The pairwise reward-model loss of TRL's {@code RewardTrainer.compute_loss}, with its gradients, in double
 * precision. For n pairs with rewards r_c (chosen) and r_r (rejected) and margins m (0 without TRL's
 * {@code margin} column):
 *
 * <pre>
 *   loss = mean_i −log σ(r_c,i − r_r,i − m_i)  +  λ · mean_i (r_c,i + r_r,i)²
 * </pre>
 *
 * the negative log-likelihood of the Bradley-Terry model of the preferences (Ouyang et al. 2022, "Training language
 * models to follow instructions with human feedback", eq. 1; the margin as in Touvron et al. 2023, Llama 2, eq. 2),
 * plus, when {@code center_rewards_coefficient} λ is set, Eisenstein et al. 2023's centering term (arXiv 2312.09244,
 * eq. 2). The metrics are TRL's: {@code accuracy} is the share of pairs with r_c > r_r, {@code margin} the mean of
 * r_c − r_r.
 */
public final class RewardLoss {
    private RewardLoss() {
    }

    /**
     * The loss of a batch, its gradients and TRL's metrics.
     *
     * @param loss             the loss
     * @param chosenGradient   d loss / d r_c,i
     * @param rejectedGradient d loss / d r_r,i
     * @param accuracy         share of pairs with r_c > r_r
     * @param margin           mean of r_c − r_r
     */
    public record Result(double loss, double[] chosenGradient, double[] rejectedGradient, double accuracy,
                         double margin) {
    }

    /**
     * Computes the loss for rewards {@code chosen} and {@code rejected} (one per pair) with the given margins (null:
     * none) and centering coefficient (null: none).
     */
    public static Result compute(double[] chosen, double[] rejected, double[] margins,
                                 Double centerRewardsCoefficient) {
        int n = chosen.length;
        if (n == 0 || rejected.length != n || (margins != null && margins.length != n)) {
            throw new IllegalArgumentException("need one chosen reward, rejected reward and margin per pair; got "
                    + chosen.length + ", " + rejected.length + ", " + (margins == null ? "no" : margins.length));
        }
        double lambda = centerRewardsCoefficient == null ? 0 : centerRewardsCoefficient;
        double loss = 0;
        double wins = 0;
        double marginSum = 0;
        double[] dChosen = new double[n];
        double[] dRejected = new double[n];
        for (int i = 0; i < n; i++) {
            double difference = chosen[i] - rejected[i];
            double z = difference - (margins == null ? 0 : margins[i]);
            loss += -Logistic.logSigmoid(z) / n;
            double dz = -Logistic.sigmoid(-z) / n;
            double sum = chosen[i] + rejected[i];
            loss += lambda * sum * sum / n;
            double dSum = 2 * lambda * sum / n;
            dChosen[i] = dz + dSum;
            dRejected[i] = -dz + dSum;
            wins += chosen[i] > rejected[i] ? 1 : 0;
            marginSum += difference;
        }
        return new Result(loss, dChosen, dRejected, wins / n, marginSum / n);
    }
}
