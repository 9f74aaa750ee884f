package org.align4j.tensor.cpu;

/**
 * The scalars of one AdamW step and its per-element update, in the float32 order of operations of PyTorch's
 * {@code torch.optim.AdamW} (single-tensor path):
 * <pre>
 * param.mul_(1 - lr * wd)
 * exp_avg.lerp_(grad, 1 - beta1)
 * exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
 * denom = (exp_avg_sq.sqrt() / sqrt(bc2)).add_(eps)
 * param.addcdiv_(exp_avg, denom, value=-lr / bc1)
 * </pre>
 * The scalar factors are computed in double (Python floats in PyTorch) and rounded to float once, as PyTorch does
 * when it hands them to a float32 kernel.
 */
final class AdamWStep {
    final float decay;
    final float lerpWeight;
    /**
     * ATen's lerp takes the {@code self + w (end - self)} form when |w| &lt; 0.5, otherwise
     * {@code end - (end - self)(1 - w)}.
     */
    final boolean smallLerpWeight;
    final float beta2;
    final float oneMinusBeta2;
    final float bc2Sqrt;
    final float eps;
    final float negStepSize;

    AdamWStep(float lr, float beta1, float beta2, float eps, float weightDecay, float bc1, float bc2) {
        this.decay = (float) (1.0 - (double) lr * weightDecay);
        this.lerpWeight = (float) (1.0 - beta1);
        this.smallLerpWeight = Math.abs(lerpWeight) < 0.5f;
        this.beta2 = beta2;
        this.oneMinusBeta2 = (float) (1.0 - beta2);
        this.bc2Sqrt = (float) Math.sqrt(bc2);
        this.eps = eps;
        this.negStepSize = (float) (-(double) lr / bc1);
    }

    /** Updates p[i], m[i] and v[i] from g[i]. */
    void update(float[] p, float[] g, float[] m, float[] v, int i) {
        float grad = g[i];
        float decayed = p[i] * decay;
        float diff = grad - m[i];
        // ATen's vectorised lerp is one fused multiply-add in either form.
        float mean = smallLerpWeight ? Math.fma(lerpWeight, diff, m[i]) : Math.fma(lerpWeight - 1f, diff, grad);
        float variance = v[i] * beta2 + oneMinusBeta2 * grad * grad;
        float denom = (float) Math.sqrt(variance) / bc2Sqrt + eps;
        p[i] = decayed + negStepSize * mean / denom;
        m[i] = mean;
        v[i] = variance;
    }
}
