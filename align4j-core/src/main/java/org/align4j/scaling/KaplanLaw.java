package org.align4j.scaling;

import java.util.ArrayList;
import java.util.List;

/**
 * Kaplan et al. (2020), "Scaling Laws for Neural Language Models", eq. 1.5 (and 4.1):
 * L(N, D) = [(N_c / N)^(α_N / α_D) + D_c / D]^α_D.
 *
 * <p>{@link #MODEL} evaluates log L = α_D · LSE((α_N/α_D)(log N_c − log N), log D_c − log D) over
 * θ = (log N_c, log D_c, α_N, α_D); it is not finite for α_D ≤ 0, which the optimiser steps back from.
 *
 * @param nc     N_c
 * @param dc     D_c
 * @param alphaN α_N
 * @param alphaD α_D
 */
public record KaplanLaw(double nc, double dc, double alphaN, double alphaD) {
    /** The law as a {@link LogLossModel} over θ = (log N_c, log D_c, α_N, α_D). */
    public static final LogLossModel MODEL = new LogLossModel() {
        @Override
        public List<String> parameterNames() {
            return List.of("log_N_c", "log_D_c", "alpha_N", "alpha_D");
        }

        @Override
        public double logLoss(double[] theta, double logN, double logD, double[] gradient) {
            double alphaN = theta[2];
            double alphaD = theta[3];
            if (!(alphaD > 0)) {
                return Double.NaN;
            }
            double gap = theta[0] - logN;
            double u = alphaN / alphaD * gap;
            double v = theta[1] - logD;
            double max = Math.max(u, v);
            double eu = Math.exp(u - max);
            double ev = Math.exp(v - max);
            double lse = max + Math.log(eu + ev);
            double wu = eu / (eu + ev);
            double wv = ev / (eu + ev);
            gradient[0] = alphaN * wu;
            gradient[1] = alphaD * wv;
            gradient[2] = wu * gap;
            gradient[3] = lse - wu * u;
            return alphaD * lse;
        }
    };

    /** The law of θ = (log N_c, log D_c, α_N, α_D). */
    public static KaplanLaw fromTheta(double[] theta) {
        return new KaplanLaw(Math.exp(theta[0]), Math.exp(theta[1]), theta[2], theta[3]);
    }

    /**
     * L-BFGS starts: {@code first} (e.g. from the one-variable fits) and the grid log N_c, log D_c ∈ {15, 25, 35},
     * α_N, α_D ∈ {0.05, 0.1, 0.3} (Kaplan et al. found N_c ≈ 8.8·10¹³, D_c ≈ 5.4·10¹³, α_N ≈ 0.076,
     * α_D ≈ 0.095 on WebText2).
     */
    public static List<double[]> startGrid(double[] first) {
        List<double[]> starts = new ArrayList<>();
        starts.add(first.clone());
        double[] logScales = {15, 25, 35};
        double[] exponents = {0.05, 0.1, 0.3};
        for (double logNc : logScales) {
            for (double logDc : logScales) {
                for (double alphaN : exponents) {
                    for (double alphaD : exponents) {
                        starts.add(new double[] {logNc, logDc, alphaN, alphaD});
                    }
                }
            }
        }
        return starts;
    }

    /** L(N, D). */
    public double loss(double parameters, double tokens) {
        return Math.pow(Math.pow(nc / parameters, alphaN / alphaD) + dc / tokens, alphaD);
    }
}
