package org.align4j.train;

import java.util.Map;
import java.util.function.DoubleSupplier;
import org.align4j.autograd.Var;

/**
 * An optimizer that evaluates the loss itself instead of reading gradients, as PyTorch's
 * {@code optimizer.step(closure)}: zeroth-order methods such as {@link MeZo}. The {@link Trainer} gives it a closure
 * that runs the step's micro-batches forward only, and never runs backward for it.
 */
public interface ClosureOptimizer extends Optimizer {
    /**
     * What a step reports for the training log.
     *
     * @param loss     the step's loss (the mean of the evaluations that define it)
     * @param gradNorm the norm of the gradient estimate it applied
     */
    record StepReport(double loss, double gradNorm) {
    }

    /**
     * One update with learning rate {@code lr}, calling {@code loss} (the current parameters' loss, forward only) as
     * often as the method needs.
     *
     * @param seed seeds the step's random directions: derive it from the run seed and the step, so that a resumed
     *             run draws the same ones
     */
    StepReport step(Map<String, Var> parameters, double lr, long seed, DoubleSupplier loss);
}
