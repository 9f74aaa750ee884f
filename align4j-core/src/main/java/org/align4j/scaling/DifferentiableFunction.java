package org.align4j.scaling;

/** A smooth (or piecewise smooth) real function of a vector, evaluated together with its gradient. */
@FunctionalInterface
public interface DifferentiableFunction {
    /**
     * Returns f(x) and writes ∇f(x) into {@code gradient} (same length as {@code x}). A point outside the domain may
     * return a non-finite value; the optimiser then steps back.
     */
    double valueAndGradient(double[] x, double[] gradient);
}
