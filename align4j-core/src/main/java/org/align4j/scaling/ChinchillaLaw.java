package org.align4j.scaling;

import java.util.ArrayList;
import java.util.List;

/**
 * The parametric loss of Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models", eq. 2:
 * L̂(N, D) = E + A / N^α + B / D^β, with its compute-optimal allocation under C = 6ND (eq. 4 and Appendix D.2):
 * N_opt(C) = G (C/6)^a and D_opt(C) = G⁻¹ (C/6)^b with a = β / (α + β), b = α / (α + β) and
 * G = (αA / (βB))^(1 / (α + β)).
 *
 * <p>{@link #MODEL} evaluates it as the authors fit it: θ = (a, b, e, α, β) with A = eᵃ, B = eᵇ, E = eᵉ and
 * log L̂ = LSE(a − α log N, b − β log D, e), the log-sum-exp keeping the fit stable over 10 orders of magnitude.
 *
 * @param e     E, the irreducible loss
 * @param a     A
 * @param b     B
 * @param alpha α, the parameter exponent
 * @param beta  β, the data exponent
 */
public record ChinchillaLaw(double e, double a, double b, double alpha, double beta) {
    /** The law as a {@link LogLossModel} over θ = (log A, log B, log E, α, β). */
    public static final LogLossModel MODEL = new LogLossModel() {
        @Override
        public List<String> parameterNames() {
            return List.of("log_A", "log_B", "log_E", "alpha", "beta");
        }

        @Override
        public double logLoss(double[] theta, double logN, double logD, double[] gradient) {
            double x1 = theta[0] - theta[3] * logN;
            double x2 = theta[1] - theta[4] * logD;
            double x3 = theta[2];
            double max = Math.max(x1, Math.max(x2, x3));
            double e1 = Math.exp(x1 - max);
            double e2 = Math.exp(x2 - max);
            double e3 = Math.exp(x3 - max);
            double sum = e1 + e2 + e3;
            double w1 = e1 / sum;
            double w2 = e2 / sum;
            gradient[0] = w1;
            gradient[1] = w2;
            gradient[2] = e3 / sum;
            gradient[3] = -w1 * logN;
            gradient[4] = -w2 * logD;
            return max + Math.log(sum);
        }
    };

    /** The law of θ = (log A, log B, log E, α, β). */
    public static ChinchillaLaw fromTheta(double[] theta) {
        return new ChinchillaLaw(Math.exp(theta[2]), Math.exp(theta[0]), Math.exp(theta[1]), theta[3], theta[4]);
    }

    /**
     * The authors' grid of L-BFGS starts (Appendix D.2, as Besiroglu et al. 2024 replicate it): α, β ∈ {0, 0.5, ...,
     * 2}, e ∈ {−1, −0.5, ..., 1}, a, b ∈ {0, 5, ..., 25}: 5 · 5 · 5 · 6 · 6 = 4500 starts, as θ vectors.
     */
    public static List<double[]> paperStartGrid() {
        return startGrid(new double[] {0, 5, 10, 15, 20, 25}, new double[] {-1, -0.5, 0, 0.5, 1},
                new double[] {0, 0.5, 1, 1.5, 2});
    }

    /**
     * Every other value of each axis of {@link #paperStartGrid()}: a, b ∈ {0, 10, 20}, e ∈ {−1, 0, 1}, α, β ∈ {0, 1, 2}
     * (243 starts); on Epoch AI's Figure 4 points it reaches the same optimum as the full grid in a twentieth of
     * the time.
     */
    public static List<double[]> coarseStartGrid() {
        return startGrid(new double[] {0, 10, 20}, new double[] {-1, 0, 1}, new double[] {0, 1, 2});
    }

    /** Every combination of a, b from {@code logScales}, e from {@code logE}, α and β from {@code exponents}. */
    public static List<double[]> startGrid(double[] logScales, double[] logE, double[] exponents) {
        List<double[]> starts = new ArrayList<>();
        for (double alpha : exponents) {
            for (double beta : exponents) {
                for (double e : logE) {
                    for (double a : logScales) {
                        for (double b : logScales) {
                            starts.add(new double[] {a, b, e, alpha, beta});
                        }
                    }
                }
            }
        }
        return starts;
    }

    /** L̂(N, D). */
    public double loss(double parameters, double tokens) {
        return e + a / Math.pow(parameters, alpha) + b / Math.pow(tokens, beta);
    }

    /** a = β / (α + β): N_opt ∝ C^a. */
    public double parameterExponent() {
        return beta / (alpha + beta);
    }

    /** b = α / (α + β): D_opt ∝ C^b. */
    public double tokenExponent() {
        return alpha / (alpha + beta);
    }

    /** G = (αA / (βB))^(1 / (α + β)). */
    public double allocationCoefficient() {
        return Math.pow(alpha * a / (beta * b), 1 / (alpha + beta));
    }

    /** N_opt(C) = G (C/6)^a, the size minimising L̂ at compute C = 6ND. */
    public double optimalParameters(double compute) {
        return allocationCoefficient() * Math.pow(compute / 6, parameterExponent());
    }

    /** D_opt(C) = G⁻¹ (C/6)^b. */
    public double optimalTokens(double compute) {
        return Math.pow(compute / 6, tokenExponent()) / allocationCoefficient();
    }
}
