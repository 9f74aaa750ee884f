package org.align4j.autograd;

import org.align4j.tensor.Tensor;

/**
 * A node of the computation graph: a value tensor, whether gradients flow into it, and its gradient (allocated on
 * first use, same shape as the value). Parameters are long-lived Vars whose gradients accumulate across backward
 * passes until {@link #zeroGrad()}.
 */
public final class Var {
    private final Tensor value;
    private final boolean requiresGrad;
    private Tensor grad;

    /** A Var around {@code value}; {@code requiresGrad} says whether backward computes its gradient. */
    public Var(Tensor value, boolean requiresGrad) {
        this.value = value;
        this.requiresGrad = requiresGrad;
    }

    /** A constant (no gradient). */
    public static Var constant(Tensor value) {
        return new Var(value, false);
    }

    /** The value. */
    public Tensor value() {
        return value;
    }

    /** Whether backward computes a gradient for this Var. */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** The gradient, allocated (zero) on first call. */
    public Tensor grad() {
        if (grad == null) {
            grad = Tensor.zeros(value.shape());
        }
        return grad;
    }

    /** Whether a gradient has been allocated. */
    public boolean hasGrad() {
        return grad != null;
    }

    /** Sets the gradient to zero, keeping its memory for the next backward pass. */
    public void zeroGrad() {
        if (grad != null) {
            grad.zero();
        }
    }

    /** Frees the gradient; the next {@link #grad()} allocates zeros. */
    public void releaseGrad() {
        grad = null;
    }

    @Override
    public String toString() {
        return "Var" + value + (requiresGrad ? " (grad)" : "");
    }
}
