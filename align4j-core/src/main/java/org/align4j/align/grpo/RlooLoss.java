package org.align4j.align.grpo;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * RLOO's loss as TRL's {@code RLOOTrainer._compute_loss} computes it (Ahmadian et al. 2024, "Back to Basics:
 * Revisiting REINFORCE Style Optimization for Learning from Human Feedback in LLMs", eq. 6, with PPO's clipped ratio
 * for {@code num_iterations} > 1): each completion is one action, its log-probability the sum over its tokens, the
 * ratio ρ = exp(log π_θ(y) − log π_θold(y)), and the loss the mean over completions of
 * −min(ρ·A, clip(ρ, 1 − ε_low, 1 + ε_high)·A), A the leave-one-out advantage of {@link GroupAdvantages#rloo}. The
 * KL penalty is already in the advantage, so the loss has none. Gradients follow PyTorch's conventions (clamp passes
 * the gradient inside its closed range, min splits it evenly on ties).
 */
public final class RlooLoss implements PolicyLoss {
    private final double epsilonLow;
    private final double epsilonHigh;

    /** The loss with clipping range [1 − epsilonLow, 1 + epsilonHigh]. */
    public RlooLoss(double epsilonLow, double epsilonHigh) {
        this.epsilonLow = epsilonLow;
        this.epsilonHigh = epsilonHigh;
    }

    @Override
    public Result compute(CompletionLogps in, int globalTokens, int accumulation) {
        int n = in.size();
        double[][] gradient = new double[n][];
        double loss = 0;
        double low = 0;
        double high = 0;
        for (int i = 0; i < n; i++) {
            double[] logp = in.logps()[i];
            gradient[i] = new double[logp.length];
            boolean active = in.activeTokens(i) > 0;
            double logRatio = 0;
            for (int t = 0; t < logp.length && active; t++) {
                logRatio += logp[t] - in.old(i, t);
            }
            double ratio = Math.exp(logRatio);
            double a = in.advantages()[i];
            double clipped = Math.min(Math.max(ratio, 1 - epsilonLow), 1 + epsilonHigh);
            double clippedSlope = ratio >= 1 - epsilonLow && ratio <= 1 + epsilonHigh ? 1 : 0;
            double unclippedTerm = ratio * a;
            double clippedTerm = clipped * a;
            double slope = unclippedTerm < clippedTerm ? a
                    : unclippedTerm > clippedTerm ? clippedSlope * a : (1 + clippedSlope) * a / 2;
            loss += -Math.min(unclippedTerm, clippedTerm) / n;
            for (int t = 0; t < logp.length && active; t++) {
                gradient[i][t] = -slope * ratio / n;
            }
            low += ratio < 1 - epsilonLow && a < 0 ? 1 : 0;
            high += ratio > 1 + epsilonHigh && a > 0 ? 1 : 0;
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("clip_ratio/low_mean", low / n);
        metrics.put("clip_ratio/low_min", low == n ? 1.0 : 0.0);
        metrics.put("clip_ratio/high_mean", high / n);
        metrics.put("clip_ratio/high_max", high > 0 ? 1.0 : 0.0);
        metrics.put("clip_ratio/region_mean", (low + high) / n);
        return new Result(loss, gradient, metrics);
    }
}
