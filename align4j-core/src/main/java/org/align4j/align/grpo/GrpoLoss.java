package org.align4j.align.grpo;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * GRPO's loss as TRL's {@code GRPOTrainer._compute_loss} computes it (Shao et al. 2024, "DeepSeekMath: Pushing the
 * Limits of Mathematical Reasoning", eq. 3), with DAPO's asymmetric clipping (Yu et al. 2025, eq. 8:
 * {@code epsilon}, {@code epsilon_high}), the two-sided clip {@code delta} of INTELLECT-2, GSPO's sequence-level
 * importance ratio ({@link ImportanceSamplingLevel}) and the aggregations of {@link GrpoLossType}.
 *
 * <p>Per completion token, with ratio ρ = π_θ / π_θold (GSPO: exp of the completion's mean log-ratio) and A the
 * completion's advantage: ℓ = −min(min(ρ, δ)·A, clip(ρ, 1 − ε_low, 1 + ε_high)·A) + β·k3, where
 * k3 = π_ref/π_θ − log(π_ref/π_θ) − 1 (Schulman's estimator of KL(π_θ‖π_ref), eq. 4). The gradient follows PyTorch's
 * conventions exactly: clamp passes the gradient inside its closed range, min splits it evenly on ties.
 */
public final class GrpoLoss implements PolicyLoss {
    private final GrpoLossType type;
    private final double epsilonLow;
    private final double epsilonHigh;
    private final Double delta;
    private final double beta;
    private final ImportanceSamplingLevel level;
    private final int maxCompletionLength;

    /**
     * The loss with TRL's options.
     *
     * @param delta               {@code delta}: upper clamp of the unclipped ratio, or null for none
     * @param maxCompletionLength {@code max_completion_length}: dr_grpo's constant
     */
    public GrpoLoss(GrpoLossType type, double epsilonLow, double epsilonHigh, Double delta, double beta,
                    ImportanceSamplingLevel level, int maxCompletionLength) {
        this.type = type;
        this.epsilonLow = epsilonLow;
        this.epsilonHigh = epsilonHigh;
        this.delta = delta;
        this.beta = beta;
        this.level = level;
        this.maxCompletionLength = maxCompletionLength;
    }

    /** The surrogate term of one ratio: its value −min(...) and d(value)/dρ. */
    private record Surrogate(double value, double slope, boolean lowClipped, boolean highClipped) {
    }

    private Surrogate surrogate(double ratio, double advantage) {
        double capped = delta == null ? ratio : Math.min(ratio, delta);
        double cappedSlope = delta == null || ratio <= delta ? 1 : 0;
        double clipped = Math.min(Math.max(ratio, 1 - epsilonLow), 1 + epsilonHigh);
        double clippedSlope = ratio >= 1 - epsilonLow && ratio <= 1 + epsilonHigh ? 1 : 0;
        double unclippedTerm = capped * advantage;
        double clippedTerm = clipped * advantage;
        double slope = unclippedTerm < clippedTerm ? cappedSlope * advantage
                : unclippedTerm > clippedTerm ? clippedSlope * advantage
                : (cappedSlope + clippedSlope) * advantage / 2;
        return new Surrogate(-Math.min(unclippedTerm, clippedTerm), -slope,
                capped < 1 - epsilonLow && advantage < 0, capped > 1 + epsilonHigh && advantage > 0);
    }

    @Override
    public Result compute(CompletionLogps in, int globalTokens, int accumulation) {
        int n = in.size();
        double[][] gradient = new double[n][];
        // the aggregation weight of each token of completion i
        double[] weights = new double[n];
        int active = in.activeTokens();
        for (int i = 0; i < n; i++) {
            int tokens = in.activeTokens(i);
            weights[i] = tokens == 0 ? 0 : switch (type) {
                case GRPO -> 1.0 / (Math.max(tokens, 1) * (double) n);
                case BNPO -> 1.0 / Math.max(active, 1);
                case DR_GRPO -> 1.0 / ((double) n * maxCompletionLength);
                case DAPO -> (double) accumulation / Math.max(globalTokens, 1);
            };
        }
        double loss = 0;
        double klSum = 0;
        double lowSum = 0;
        double highSum = 0;
        double regionSum = 0;
        double lowMin = Double.NaN;
        double highMax = Double.NaN;
        for (int i = 0; i < n; i++) {
            double[] logp = in.logps()[i];
            int length = logp.length;
            int tokens = in.activeTokens(i);
            double advantage = in.advantages()[i];
            gradient[i] = new double[length];
            double low = 0;
            double high = 0;
            if (level == ImportanceSamplingLevel.SEQUENCE) {
                double logRatio = 0;
                for (int t = 0; t < length; t++) {
                    logRatio += tokens == 0 ? 0 : logp[t] - in.old(i, t);
                }
                double ratio = Math.exp(logRatio / Math.max(tokens, 1));
                Surrogate s = surrogate(ratio, advantage);
                loss += weights[i] * tokens * s.value();
                for (int t = 0; t < length && tokens > 0; t++) {
                    gradient[i][t] = weights[i] * tokens * s.slope() * ratio / tokens;
                }
                low = s.lowClipped() ? 1 : 0;
                high = s.highClipped() ? 1 : 0;
                lowSum += low;
                highSum += high;
                regionSum += low + high;
            } else {
                for (int t = 0; t < length; t++) {
                    double ratio = Math.exp(logp[t] - in.old(i, t));
                    Surrogate s = surrogate(ratio, advantage);
                    if (tokens > 0) {
                        loss += weights[i] * s.value();
                        gradient[i][t] = weights[i] * s.slope() * ratio;
                        low += s.lowClipped() ? 1 : 0;
                        high += s.highClipped() ? 1 : 0;
                    }
                }
                lowSum += low;
                highSum += high;
                regionSum += low + high;
                low = tokens == 0 ? Double.NaN : low / tokens;
                high = tokens == 0 ? Double.NaN : high / tokens;
            }
            if (!Double.isNaN(low)) {
                lowMin = Double.isNaN(lowMin) ? low : Math.min(lowMin, low);
                highMax = Double.isNaN(highMax) ? high : Math.max(highMax, high);
            }
            if (beta != 0 && tokens > 0) {
                for (int t = 0; t < length; t++) {
                    double diff = in.refLogps()[i][t] - logp[t];
                    double kl = Math.exp(diff) - diff - 1;
                    loss += weights[i] * beta * kl;
                    gradient[i][t] += weights[i] * beta * (1 - Math.exp(diff));
                    klSum += kl;
                }
            }
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        if (beta != 0) {
            metrics.put("kl", klSum / Math.max(active, 1));
        }
        double clipCount = level == ImportanceSamplingLevel.SEQUENCE ? n : Math.max(active, 1);
        metrics.put("clip_ratio/low_mean", lowSum / clipCount);
        metrics.put("clip_ratio/low_min", lowMin);
        metrics.put("clip_ratio/high_mean", highSum / clipCount);
        metrics.put("clip_ratio/high_max", highMax);
        metrics.put("clip_ratio/region_mean", regionSum / clipCount);
        return new Result(loss, gradient, metrics);
    }
}
