package org.align4j.align.kto;

import org.align4j.align.Logistic;

/**
 * TRL's KTO losses ({@code KTOTrainer._compute_loss}, {@link KtoLossType}) on the per-completion log-probabilities of
 * a micro-batch in double precision, with the analytic gradient of the batch loss with respect to each policy
 * log-probability. The batch loss is the mean over all completions of w·loss, w = {@code desirable_weight} or
 * {@code undesirable_weight}; the KL estimate z₀ = max(0, mean(log π_θ(y'|x) − log π_ref(y'|x))) over the mismatched
 * pairs (x, y') gets no gradient, as in TRL.
 */
public final class KtoLoss {
    private final KtoLossType type;
    private final double beta;
    private final double desirableWeight;
    private final double undesirableWeight;

    /** The loss with TRL's {@code loss_type}, {@code beta}, {@code desirable_weight}, {@code undesirable_weight}. */
    public KtoLoss(KtoLossType type, double beta, double desirableWeight, double undesirableWeight) {
        this.type = type;
        this.beta = beta;
        this.desirableWeight = desirableWeight;
        this.undesirableWeight = undesirableWeight;
    }

    /**
     * The loss of one batch.
     *
     * @param loss     mean over completions of the weighted losses
     * @param gradient d loss / d log π_θ(y|x) per completion
     * @param rewards  β·r per completion, detached
     * @param kl       z₀ (0 for apo_zero_unpaired)
     */
    public record Result(double loss, double[] gradient, double[] rewards, double kl) {
    }

    /** Whether the loss uses the KL estimate from mismatched pairs. */
    public boolean needsKl() {
        return type == KtoLossType.KTO;
    }

    /**
     * The loss of completions with policy and reference log-probabilities {@code policy} and {@code reference},
     * labels {@code desirable}, and (for kto) the mismatched pairs' log-probabilities {@code klPolicy} and
     * {@code klReference} (null for apo_zero_unpaired).
     */
    public Result compute(double[] policy, double[] reference, boolean[] desirable, double[] klPolicy,
                          double[] klReference) {
        int n = policy.length;
        double kl = 0;
        if (needsKl()) {
            for (int i = 0; i < klPolicy.length; i++) {
                kl += (klPolicy[i] - klReference[i]) / klPolicy.length;
            }
            kl = Math.max(kl, 0);
        }
        double loss = 0;
        double[] gradient = new double[n];
        double[] rewards = new double[n];
        for (int i = 0; i < n; i++) {
            double ratio = policy[i] - reference[i];
            double weight = (desirable[i] ? desirableWeight : undesirableWeight) / n;
            double x;
            double value;
            double slope;
            if (desirable[i]) {
                // 1 − σ(x), x = β(r − z₀): d/dr = −β σ(x)(1 − σ(x))
                x = beta * (ratio - (needsKl() ? kl : 0));
                value = 1 - Logistic.sigmoid(x);
                slope = -beta * Logistic.sigmoidDerivative(x);
            } else if (needsKl()) {
                // 1 − σ(β(z₀ − r)): d/dr = β σ'(β(z₀ − r))
                x = beta * (kl - ratio);
                value = 1 - Logistic.sigmoid(x);
                slope = beta * Logistic.sigmoidDerivative(x);
            } else {
                x = beta * ratio;
                value = Logistic.sigmoid(x);
                slope = beta * Logistic.sigmoidDerivative(x);
            }
            loss += weight * value;
            gradient[i] = weight * slope;
            rewards[i] = beta * ratio;
        }
        return new Result(loss, gradient, rewards, kl);
    }
}
