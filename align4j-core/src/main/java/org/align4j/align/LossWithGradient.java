package org.align4j.align;

import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.tensor.Tensor;

/**
 * A loss computed outside the tape (in double precision, with its analytic gradient) joined to the tape: a scalar
 * whose value is the loss and whose gradient with respect to {@code x} is the given one, Σ g_i x_i plus a constant.
 * Back-propagating it carries exactly the analytic gradient into the model.
 */
public final class LossWithGradient {
    private LossWithGradient() {
    }

    /** A scalar on {@code tape} with value {@code loss} and d(value)/d(x) = {@code gradient} (x flattened). */
    public static Var of(Tape tape, Var x, float[] gradient, double loss) {
        Var linear = Ops.weightedSum(tape, x, gradient);
        Var offset = Var.constant(Tensor.of(new float[] {(float) (loss - linear.value().get(0))}, 1));
        return Ops.add(tape, linear, offset);
    }
}
