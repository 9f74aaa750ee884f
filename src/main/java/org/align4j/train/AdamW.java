package org.align4j.train;

import java.util.HashMap;
import java.util.Map;
import org.align4j.autograd.Var;
import org.align4j.tensor.Backend;
import org.align4j.tensor.Tensor;

/**
 * AdamW (Loshchilov &amp; Hutter 2019, "Decoupled Weight Decay Regularization", Algorithm 2) with PyTorch's
 * {@code torch.optim.AdamW} semantics: decay p ← p(1 − lr·λ), then the bias-corrected Adam step
 * p ← p − lr · m̂ / (sqrt(v̂) + ε). Moments are float32 and created on the first step of each parameter.
 */
public final class AdamW implements Optimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final Map<String, Tensor[]> moments = new HashMap<>();
    private long step;

    /** An optimizer with the given betas, epsilon and decoupled weight decay. */
    public AdamW(double beta1, double beta2, double eps, double weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    @Override
    public void step(Map<String, Var> parameters, double lr) {
        step++;
        float bc1 = (float) (1 - Math.pow(beta1, step));
        float bc2 = (float) (1 - Math.pow(beta2, step));
        for (Map.Entry<String, Var> e : parameters.entrySet()) {
            Var p = e.getValue();
            if (!p.requiresGrad() || !p.hasGrad()) {
                continue;
            }
            Tensor value = p.value();
            Tensor[] mv = moments.computeIfAbsent(e.getKey(),
                    k -> new Tensor[] {Tensor.zeros(value.shape()), Tensor.zeros(value.shape())});
            Backend.kernels().adamwUpdate(value, p.grad(), mv[0], mv[1], value.size(), (float) lr, (float) beta1,
                    (float) beta2, (float) eps, (float) weightDecay, bc1, bc2);
        }
    }

    @Override
    public long steps() {
        return step;
    }

    /** The first and second moments of a parameter (null before its first update). */
    public Tensor[] moments(String name) {
        return moments.get(name);
    }
}
