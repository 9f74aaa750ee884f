package org.align4j.align.ppo;

/**
 * Generalized advantage estimation (Schulman et al. 2016, "High-Dimensional Continuous Control Using Generalized
 * Advantage Estimation", eq. 16) over one response: with δ_t = r_t + γ V_{t+1} − V_t (V after the last token is 0,
 * the episode ends there), Â_t = Σ_l (γλ)^l δ_{t+l}, computed backwards as Â_t = δ_t + γλ Â_{t+1}; the value
 * targets are the returns Â_t + V_t, as in TRL's {@code PPOTrainer}.
 */
public final class Gae {
    private Gae() {
    }

    /**
     * Advantages and returns of one response.
     *
     * @param advantages Â_t per token
     * @param returns    Â_t + V_t per token
     */
    public record Result(double[] advantages, double[] returns) {
    }

    /** The advantages and returns of a response with per-token {@code rewards} and {@code values}. */
    public static Result of(double[] rewards, double[] values, double gamma, double lam) {
        if (rewards.length != values.length) {
            throw new IllegalArgumentException(rewards.length + " rewards for " + values.length + " values");
        }
        int n = rewards.length;
        double[] advantages = new double[n];
        double[] returns = new double[n];
        double last = 0;
        for (int t = n - 1; t >= 0; t--) {
            double next = t + 1 < n ? values[t + 1] : 0;
            double delta = rewards[t] + gamma * next - values[t];
            last = delta + gamma * lam * last;
            advantages[t] = last;
            returns[t] = last + values[t];
        }
        return new Result(advantages, returns);
    }
}
