package org.align4j.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The analytic gradients of the fit objectives against central finite differences. */
class HuberLogLossObjectiveTest {
    @TempDir
    Path tmp;

    @Test
    void chinchillaGradientMatchesFiniteDifferences() {
        List<TrainingRun> runs = ChinchillaPoints.all(tmp);
        // Near the optimum (many residuals inside δ) and far from it (all in the linear part).
        checkGradient(ChinchillaLaw.MODEL, runs, new double[] {6.2, 9.4, 0.64, 0.35, 0.45}, 1e-3);
        checkGradient(ChinchillaLaw.MODEL, runs, new double[] {5, 12, 0.3, 0.5, 0.7}, 1e-3);
        checkGradient(ChinchillaLaw.MODEL, runs, new double[] {6, 8, 0.5, 0.3, 0.3}, 10);
    }

    @Test
    void kaplanGradientMatchesFiniteDifferences() {
        List<TrainingRun> runs = ChinchillaPoints.all(tmp);
        checkGradient(KaplanLaw.MODEL, runs, new double[] {30, 30, 0.09, 0.12}, 1e-3);
        checkGradient(KaplanLaw.MODEL, runs, new double[] {25, 35, 0.2, 0.07}, 10);
    }

    private static void checkGradient(LogLossModel model, List<TrainingRun> runs, double[] theta, double delta) {
        HuberLogLossObjective objective = new HuberLogLossObjective(model, runs, delta);
        double[] analytic = new double[theta.length];
        objective.valueAndGradient(theta, analytic);
        for (int j = 0; j < theta.length; j++) {
            double h = 1e-6 * Math.max(1, Math.abs(theta[j]));
            double[] plus = theta.clone();
            double[] minus = theta.clone();
            plus[j] += h;
            minus[j] -= h;
            double numeric = (objective.valueAndGradient(plus, new double[theta.length])
                    - objective.valueAndGradient(minus, new double[theta.length])) / (2 * h);
            double scale = Math.max(Math.abs(numeric), 1e-8);
            assertTrue(Math.abs(analytic[j] - numeric) <= 1e-5 * scale + 1e-10,
                    model.parameterNames().get(j) + ": analytic " + analytic[j] + " vs numeric " + numeric);
        }
    }

    @Test
    void huberIsQuadraticInsideDeltaAndLinearOutside() {
        LogLossModel constant = new LogLossModel() {
            @Override
            public List<String> parameterNames() {
                return List.of("log_L");
            }

            @Override
            public double logLoss(double[] theta, double logN, double logD, double[] gradient) {
                gradient[0] = 1;
                return theta[0];
            }
        };
        List<TrainingRun> one = List.of(TrainingRun.of(1, 1, 1, "run"));
        HuberLogLossObjective objective = new HuberLogLossObjective(constant, one, 0.1);
        double[] g = new double[1];
        assertEquals(0.5 * 0.05 * 0.05, objective.valueAndGradient(new double[] {0.05}, g), 1e-15);
        assertEquals(0.05, g[0], 1e-15);
        g[0] = 0;
        assertEquals(0.1 * (0.3 - 0.05), objective.valueAndGradient(new double[] {-0.3}, g), 1e-15);
        assertEquals(-0.1, g[0], 1e-15);
    }
}
