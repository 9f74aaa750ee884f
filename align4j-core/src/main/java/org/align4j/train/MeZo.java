package org.align4j.train;

import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.function.Predicate;
import org.align4j.autograd.Var;
import org.align4j.tensor.Backend;
import org.align4j.tensor.Kernels;
import org.align4j.tensor.Tensor;

/**
 * MeZO, the memory-efficient zeroth-order optimizer (Malladi et al. 2023, "Fine-Tuning Language Models with Just
 * Forward Passes", arXiv 2305.17333, Algorithm 1): the SPSA estimate of the directional derivative
 * g = (L(θ + εz) − L(θ − εz)) / (2ε) along z ~ N(0, I), then θ ← θ − lr (g z + λθ). The parameters are perturbed in
 * place (+ε, −2ε, then the restoring +ε folded into the update, see {@link #step}) and z is regenerated from a
 * seed, tensor by tensor, for every pass, so neither z nor a gradient is ever stored: memory is that of inference. n-SPSA ({@code n_spsa} > 1) averages n such estimates with
 * independent seeds. Weight decay applies to the parameters {@code decayed} selects (not norms and biases).
 *
 * <p>Works with any scalar loss and on any parameter set (full model or LoRA adapters). The Trainer calls the closure
 * step ({@link #step(Map, double, long, DoubleSupplier)}): {@link #estimate} (forward passes only), then the update
 * {@link #step(Map, double)}; the two halves are public for benchmarks that time them apart.
 */
public final class MeZo implements ClosureOptimizer {
    /** The {@code optim} name. */
    public static final String NAME = "mezo";
    private final double eps;
    private final int samples;
    private final double weightDecay;
    private final Predicate<String> decayed;
    private long steps;
    private long[] seeds = new long[0];
    private double[] projectedGradients = new double[0];

    /**
     * @param eps         zo_eps: the perturbation scale ε (paper default 1e-3)
     * @param samples     n_spsa: estimates averaged per step (1 in the paper's main runs)
     * @param weightDecay λ
     * @param decayed     which parameters (by name) are decayed
     */
    public MeZo(double eps, int samples, double weightDecay, Predicate<String> decayed) {
        if (!(eps > 0) || samples < 1) {
            throw new IllegalArgumentException("MeZO needs zo_eps > 0 and n_spsa >= 1, got " + eps + ", " + samples);
        }
        this.eps = eps;
        this.samples = samples;
        this.weightDecay = weightDecay;
        this.decayed = decayed;
    }

    /** The outcome of one estimate: the loss at θ+εz and θ−εz (first sample) and the mean projected gradient. */
    public record Estimate(double lossPlus, double lossMinus, double projectedGradient) {
    }

    /**
     * {@link #estimate}, then {@link #step(Map, double)}; the reported loss is the mean of the first direction's two
     * evaluations, the gradient norm |g| of the mean projected gradient.
     */
    @Override
    public StepReport step(Map<String, Var> parameters, double lr, long seed, DoubleSupplier loss) {
        Estimate estimate = estimate(parameters, seed, loss);
        step(parameters, lr);
        return new StepReport((estimate.lossPlus() + estimate.lossMinus()) / 2,
                Math.abs(estimate.projectedGradient()));
    }

    /**
     * Estimates the projected gradients of {@code loss} (evaluated on the current parameters, forward only) for the
     * next {@link #step}. The parameters are left at θ − εz of the last direction: its restoring +εz move is folded
     * into {@link #step}, which must follow.
     *
     * @param seed base seed of this step's directions (derive it from the run seed and the step for resumable runs)
     */
    public Estimate estimate(Map<String, Var> parameters, long seed, DoubleSupplier loss) {
        seeds = new long[samples];
        projectedGradients = new double[samples];
        double firstPlus = 0;
        double firstMinus = 0;
        double mean = 0;
        for (int s = 0; s < samples; s++) {
            seeds[s] = seed + s * 0x9E3779B97F4A7C15L;
            perturb(parameters, seeds[s], eps);
            double plus = loss.getAsDouble();
            perturb(parameters, seeds[s], -2 * eps);
            double minus = loss.getAsDouble();
            if (s < samples - 1) {
                perturb(parameters, seeds[s], eps);
            }
            projectedGradients[s] = (plus - minus) / (2 * eps);
            mean += projectedGradients[s] / samples;
            if (s == 0) {
                firstPlus = plus;
                firstMinus = minus;
            }
        }
        return new Estimate(firstPlus, firstMinus, mean);
    }

    /**
     * Applies θ ← θ − lr (Σ_s g_s z_s / n + λθ) for the directions of the last {@link #estimate}, starting from where
     * it left the parameters, θ − εz_last.
     *
     * <p>Algorithm 1 of the paper restores θ ← θ + εz after the second forward pass (a third PerturbParameters) and
     * then, regenerating z once more from the same seed, updates θ ← θ − lr g z (with weight decay λθ as in the
     * paper's implementation, decoupled as here). Both
     * are linear in θ and z, so with keep = 1 − lr λ (1 for parameters not decayed) and θ' = θ − εz the two passes
     * fold into one: (θ' + εz)·keep − (lr g / n) z = keep·θ' + (ε·keep − lr g / n) z. One regeneration of z instead of
     * two: 3 per step for n_spsa = 1 instead of 4. For n_spsa &gt; 1 only the last direction's restore is pending
     * (the earlier ones are restored inside {@link #estimate} before the next direction's moves); it folds with that
     * direction's own update term, and the other directions' terms −(lr g_s / n) z_s follow, which is the same sum in
     * another order (the float rounding differs, the update does not).
     */
    @Override
    public void step(Map<String, Var> parameters, double lr) {
        if (seeds.length == 0) {
            throw new IllegalStateException("MeZO step without an estimate");
        }
        int n = seeds.length;
        int t = 0;
        for (Map.Entry<String, Var> e : parameters.entrySet()) {
            if (!e.getValue().requiresGrad()) {
                continue;
            }
            double keep = weightDecay != 0 && decayed.test(e.getKey()) ? 1 - lr * weightDecay : 1;
            double coefficient = eps * keep - lr * projectedGradients[n - 1] / n;
            move(e.getValue().value(), seeds[n - 1], t++, (float) keep, coefficient);
        }
        for (int s = 0; s < n - 1; s++) {
            perturb(parameters, seeds[s], -lr * projectedGradients[s] / n);
        }
        seeds = new long[0];
        steps++;
    }

    /**
     * θ += scale · z for every parameter that requires a gradient, z regenerated from {@code seed}: each tensor (in
     * map order) has its own stream of the kernels' counter-based Gaussian ({@link Kernels#scaleAddGaussian}), so z
     * is the same on every call, whatever the thread count.
     */
    static void perturb(Map<String, Var> parameters, long seed, double scale) {
        int t = 0;
        for (Var v : parameters.values()) {
            if (v.requiresGrad()) {
                move(v.value(), seed, t++, 1f, scale);
            }
        }
    }

    /** x ← keep·x + scale·z for the z of tensor number {@code t} under {@code seed}. */
    private static void move(Tensor x, long seed, int t, float keep, double scale) {
        Backend.kernels().scaleAddGaussian(x, 0, x.size(), seed * 31 + t, keep, (float) scale);
    }

    @Override
    public long steps() {
        return steps;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** MeZO keeps no per-parameter state. */
    @Override
    public Map<String, Tensor> state() {
        return Map.of();
    }

    @Override
    public void restoreState(Map<String, Tensor> state, long restoredSteps) {
        if (!state.isEmpty()) {
            throw new IllegalArgumentException("MeZO keeps no state, got " + state.keySet());
        }
        this.steps = restoredSteps;
    }
}
