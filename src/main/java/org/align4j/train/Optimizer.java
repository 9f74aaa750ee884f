package org.align4j.train;

import java.util.Map;
import org.align4j.autograd.Var;

/** Updates parameters from their accumulated gradients. */
public interface Optimizer {

    /** Applies one update with learning rate {@code lr} to every parameter that requires a gradient. */
    void step(Map<String, Var> parameters, double lr);

    /** Number of updates applied so far. */
    long steps();
}
