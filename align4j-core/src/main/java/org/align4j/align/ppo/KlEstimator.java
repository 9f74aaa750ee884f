package org.align4j.align.ppo;

import java.util.Locale;
import org.align4j.InputException;

/**
 * The per-token estimators of KL(π ‖ π_ref) that TRL's {@code PPOTrainer} offers as {@code kl_estimator}, from
 * Schulman 2020, "Approximating KL Divergence" (http://joschu.net/blog/kl-approx.html), with the token sampled from
 * π and log r = log π_ref − log π: k1 = −log r (unbiased), k3 = (r − 1) − log r (unbiased, never negative, lower
 * variance).
 */
public enum KlEstimator {
    /** k1 = log π − log π_ref. */
    K1,
    /** k3 = (π_ref / π − 1) − log(π_ref / π). */
    K3;

    /** The estimator named {@code k1} or {@code k3}. */
    public static KlEstimator of(String name) {
        return switch (name == null ? "" : name.toLowerCase(Locale.ROOT)) {
            case "k1" -> K1;
            case "k3" -> K3;
            default -> throw new InputException("kl_estimator must be 'k1' or 'k3', got '" + name + "'");
        };
    }

    /** The estimate for one sampled token with log-probability {@code logp} under π and {@code refLogp} under π_ref. */
    public double estimate(double logp, double refLogp) {
        double logRatio = refLogp - logp;
        return switch (this) {
            case K1 -> -logRatio;
            case K3 -> Math.expm1(logRatio) - logRatio;
        };
    }
}
