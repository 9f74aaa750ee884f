package org.align4j.align.ppo;

import org.align4j.InputException;

/**
 * The coefficient β of the KL penalty −β·KL in PPO's reward. Fixed (TRL's {@code kl_coef}), or adaptive as in
 * Ziegler et al. 2019, "Fine-Tuning Language Models from Human Preferences", eq. 2 (TRL 0.x's
 * {@code AdaptiveKLController}): after each batch of n episodes with mean KL per episode KL_t,
 * e_t = clip(KL_t / KL_target − 1, −0.2, 0.2) and β ← β (1 + K_β e_t) with K_β = n / horizon, so β grows while the
 * policy drifts beyond the target and shrinks while it stays inside.
 */
public final class KlController {
    /** The clip of the proportional error. */
    static final double ERROR_CLIP = 0.2;

    private final boolean adaptive;
    private final double target;
    private final double horizon;
    private double value;

    private KlController(double initial, boolean adaptive, double target, double horizon) {
        if (!(initial >= 0 && Double.isFinite(initial))) {
            throw new InputException("the KL coefficient must be a finite number >= 0, got " + initial);
        }
        this.value = initial;
        this.adaptive = adaptive;
        this.target = target;
        this.horizon = horizon;
    }

    /** A coefficient that stays {@code beta}. */
    public static KlController fixed(double beta) {
        return new KlController(beta, false, 1, 1);
    }

    /** A coefficient that starts at {@code initial} and adapts towards the KL {@code target} over {@code horizon} episodes. */
    public static KlController adaptive(double initial, double target, double horizon) {
        if (!(target > 0) || !(horizon > 0)) {
            throw new InputException("the adaptive KL controller needs target > 0 and horizon > 0, got "
                    + target + " and " + horizon);
        }
        return new KlController(initial, true, target, horizon);
    }

    /** The controller {@code options} ask for. */
    public static KlController of(PpoConfig.Options options) {
        return options.adapKlCtrl() ? adaptive(options.initialKlCoef(), options.target(), options.horizon())
                : fixed(options.klCoef());
    }

    /** The current β. */
    public double value() {
        return value;
    }

    /** Sets β to {@code beta}, the coefficient a checkpoint saved (resuming a run). */
    public void restore(double beta) {
        if (!(beta >= 0 && Double.isFinite(beta))) {
            throw new IllegalArgumentException("the KL coefficient must be a finite number >= 0, got " + beta);
        }
        value = beta;
    }

    /** Whether β adapts. */
    public boolean isAdaptive() {
        return adaptive;
    }

    /** Updates β after a batch of {@code episodes} episodes whose mean KL per episode was {@code kl} (no-op when fixed). */
    public void update(double kl, long episodes) {
        if (!adaptive) {
            return;
        }
        double error = Math.max(-ERROR_CLIP, Math.min(ERROR_CLIP, kl / target - 1));
        value *= 1 + error * episodes / horizon;
    }
}
