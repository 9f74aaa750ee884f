package org.align4j.scaling;

import java.util.List;

/**
 * A parametric scaling law in the form the fits need: log L̂(N, D; θ) and its gradient in θ. Fitting in log space
 * follows Hoffmann et al. (2022, Appendix D.2), who minimise a Huber loss of log L̂ − log L.
 */
public interface LogLossModel {
    /** Names of the components of θ, in order. */
    List<String> parameterNames();

    /** log L̂ at (log N, log D) for parameters {@code theta}; writes ∂ log L̂ / ∂θ into {@code gradient}. */
    double logLoss(double[] theta, double logN, double logD, double[] gradient);
}
