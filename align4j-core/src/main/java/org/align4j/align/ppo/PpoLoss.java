package org.align4j.align.ppo;

import org.align4j.align.LossWithGradient;

/**
 * PPO's two losses over the response tokens of a micro-batch, as TRL's {@code PPOTrainer} computes them, each with its
 * analytic gradient (the losses are joined to the tape with {@link LossWithGradient}).
 *
 * <p>Policy: the clipped surrogate of Schulman et al. 2017, "Proximal Policy Optimization Algorithms", eq. 7, as a
 * loss: with ratio ρ_t = exp(log π_θ − log π_old), L = mean_t max(−Â_t ρ_t, −Â_t clip(ρ_t, 1 − ε, 1 + ε)). Its
 * gradient with respect to log π_θ is −Â_t ρ_t / n where the unclipped term is the larger (or equal), else 0.
 *
 * <p>Value: the clipped value loss of the PPO2 baselines, L = ½ mean_t max((V − R)², (clip(V, V_old − ε_v,
 * V_old + ε_v) − R)²) with R the GAE returns; on a tie between a clipped and an unclipped term the gradient is
 * shared half and half, as {@code torch.max} shares it.
 */
public final class PpoLoss {
    private PpoLoss() {
    }

    /**
     * The policy loss and its statistics.
     *
     * @param loss         mean over the tokens of the larger of the two surrogate terms
     * @param gradient     d loss / d log π_θ per token
     * @param clipFraction fraction of tokens whose clipped term is the larger (TRL's {@code policy/clipfrac})
     * @param approxKl     ½ mean (log π_θ − log π_old)² (TRL's {@code policy/approxkl})
     * @param meanRatio    mean ρ (TRL's {@code val/ratio})
     */
    public record Policy(double loss, double[] gradient, double clipFraction, double approxKl, double meanRatio) {
    }

    /**
     * The value loss and its statistics.
     *
     * @param loss         ½ mean over the tokens of the larger squared error
     * @param gradient     d loss / d V per token
     * @param clipFraction fraction of tokens whose clipped error is the larger (TRL's {@code val/clipfrac})
     */
    public record Value(double loss, double[] gradient, double clipFraction) {
    }

    /** The clipped policy loss of tokens with new and rollout log-probs and (whitened) advantages. */
    public static Policy policy(double[] logp, double[] oldLogp, double[] advantages, double cliprange) {
        int n = requireSameLength(logp, oldLogp, advantages);
        double[] gradient = new double[n];
        double loss = 0;
        double clipped = 0;
        double approxKl = 0;
        double ratios = 0;
        for (int i = 0; i < n; i++) {
            double diff = logp[i] - oldLogp[i];
            double ratio = Math.exp(diff);
            double unclippedTerm = -advantages[i] * ratio;
            double clippedTerm = -advantages[i] * Math.max(1 - cliprange, Math.min(1 + cliprange, ratio));
            boolean clipWins = clippedTerm > unclippedTerm;
            loss += Math.max(unclippedTerm, clippedTerm);
            gradient[i] = clipWins ? 0 : -advantages[i] * ratio / n;
            clipped += clipWins ? 1 : 0;
            approxKl += 0.5 * diff * diff;
            ratios += ratio;
        }
        return new Policy(loss / n, gradient, clipped / n, approxKl / n, ratios / n);
    }

    /** The clipped value loss of tokens with predicted and rollout values and GAE returns. */
    public static Value value(double[] values, double[] oldValues, double[] returns, double cliprangeValue) {
        int n = requireSameLength(values, oldValues, returns);
        double[] gradient = new double[n];
        double loss = 0;
        double clipped = 0;
        for (int i = 0; i < n; i++) {
            double v = values[i];
            double vClipped = Math.max(oldValues[i] - cliprangeValue, Math.min(oldValues[i] + cliprangeValue, v));
            double unclippedError = (v - returns[i]) * (v - returns[i]);
            double clippedError = (vClipped - returns[i]) * (vClipped - returns[i]);
            boolean isClamped = vClipped != v;
            double g;
            if (unclippedError > clippedError) {
                g = v - returns[i];
            } else if (clippedError > unclippedError) {
                g = isClamped ? 0 : vClipped - returns[i];
                clipped++;
            } else {
                g = isClamped ? 0.5 * (v - returns[i]) : v - returns[i];
            }
            loss += 0.5 * Math.max(unclippedError, clippedError);
            gradient[i] = g / n;
        }
        return new Value(loss / n, gradient, clipped / n);
    }

    private static int requireSameLength(double[] a, double[] b, double[] c) {
        if (a.length != b.length || a.length != c.length || a.length == 0) {
            throw new IllegalArgumentException("PPO loss needs equally long, non-empty token arrays, got " + a.length
                    + ", " + b.length + " and " + c.length);
        }
        return a.length;
    }
}
