package org.align4j.align.cpo;

import java.util.Map;
import org.align4j.align.Logistic;

/**
 * TRL's {@code CPOTrainer.cpo_loss}: Contrastive Preference Optimization (Xu et al. 2024, "Contrastive Preference
 * Optimization: Pushing the Boundaries of LLM Performance in Machine Translation", eq. 3 and §3: the preference term
 * plus {@code cpo_alpha} times the chosen responses' negative log-likelihood), with the loss types of
 * {@link CpoLossType} (SimPO among them) and AlphaPO's reward (Gupta et al. 2025, "AlphaPO: Reward Shape Matters for
 * LLM Alignment", eq. 6): with {@code alpha} α ≠ 0 the reward of a response is (1 − p^(−α))/α, p = exp(r), instead
 * of r.
 */
public final class CpoLoss implements PairLoss {
    private final CpoLossType type;
    private final double beta;
    private final double labelSmoothing;
    private final double simpoGamma;
    private final double alpha;
    private final double cpoAlpha;

    /** The loss with TRL's options {@code loss_type}, {@code beta}, {@code label_smoothing}, {@code simpo_gamma},
     * {@code alpha} and {@code cpo_alpha}. */
    public CpoLoss(CpoLossType type, double beta, double labelSmoothing, double simpoGamma, double alpha,
                   double cpoAlpha) {
        this.type = type;
        this.beta = beta;
        this.labelSmoothing = labelSmoothing;
        this.simpoGamma = simpoGamma;
        this.alpha = alpha;
        this.cpoAlpha = cpoAlpha;
    }

    @Override
    public Result compute(double[] chosen, double[] rejected) {
        int n = chosen.length;
        double[] losses = new double[n];
        double[] dChosen = new double[n];
        double[] dRejected = new double[n];
        double[] chosenRewards = new double[n];
        double[] rejectedRewards = new double[n];
        for (int i = 0; i < n; i++) {
            double rw = reward(chosen[i]);
            double rl = reward(rejected[i]);
            double z = rw - rl;
            double dz;
            switch (type) {
                case SIGMOID, SIMPO -> {
                    double x = beta * (type == CpoLossType.SIMPO ? z - simpoGamma / beta : z);
                    losses[i] = -(1 - labelSmoothing) * Logistic.logSigmoid(x)
                            - labelSmoothing * Logistic.logSigmoid(-x);
                    dz = beta * (-(1 - labelSmoothing) * Logistic.sigmoid(-x) + labelSmoothing * Logistic.sigmoid(x));
                }
                case HINGE -> {
                    double margin = 1 - beta * z;
                    losses[i] = Math.max(0, margin);
                    dz = margin > 0 ? -beta : 0;
                }
                case IPO -> {
                    double d = z - 1 / (2 * beta);
                    losses[i] = d * d;
                    dz = 2 * d;
                }
                default -> throw new IllegalStateException("unknown loss type " + type);
            }
            dChosen[i] = dz * rewardSlope(chosen[i]) / n;
            dRejected[i] = -dz * rewardSlope(rejected[i]) / n;
            chosenRewards[i] = beta * rw;
            rejectedRewards[i] = beta * rl;
        }
        return new Result(losses, dChosen, dRejected, chosenRewards, rejectedRewards, Map.of());
    }

    /** r, or AlphaPO's (1 − exp(−α r))/α. */
    private double reward(double logp) {
        return alpha == 0 ? logp : (1 - Math.exp(-alpha * logp)) / alpha;
    }

    /** d reward / d r. */
    private double rewardSlope(double logp) {
        return alpha == 0 ? 1 : Math.exp(-alpha * logp);
    }

    @Override
    public boolean averagesTokens() {
        return type.averagesTokens();
    }

    @Override
    public double nllWeight() {
        return cpoAlpha;
    }

    @Override
    public boolean nllOverPrompt() {
        return false;
    }
}
