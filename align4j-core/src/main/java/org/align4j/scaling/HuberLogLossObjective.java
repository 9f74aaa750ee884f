package org.align4j.scaling;

import java.util.List;
import org.align4j.InputException;

/**
 * The objective of Hoffmann et al. (2022), Appendix D.2, eq. 12: Σᵢ Huber_δ(log L̂(Nᵢ, Dᵢ; θ) − log Lᵢ) over the
 * runs, with Huber_δ(r) = r²/2 for |r| ≤ δ and δ(|r| − δ/2) beyond, and its analytic gradient in θ.
 */
public final class HuberLogLossObjective implements DifferentiableFunction {
    private final LogLossModel model;
    private final double[] logN;
    private final double[] logD;
    private final double[] logL;
    private final double delta;

    /** The objective of {@code model} over {@code runs} with Huber threshold {@code delta}. */
    public HuberLogLossObjective(LogLossModel model, List<TrainingRun> runs, double delta) {
        if (!(delta > 0)) {
            throw new InputException("Huber delta must be positive, got " + delta);
        }
        this.model = model;
        this.delta = delta;
        int n = runs.size();
        logN = new double[n];
        logD = new double[n];
        logL = new double[n];
        for (int i = 0; i < n; i++) {
            logN[i] = Math.log(runs.get(i).parameters());
            logD[i] = Math.log(runs.get(i).tokens());
            logL[i] = Math.log(runs.get(i).loss());
        }
    }

    @Override
    public double valueAndGradient(double[] theta, double[] gradient) {
        double sum = 0;
        double[] scratch = new double[theta.length];
        for (int i = 0; i < logL.length; i++) {
            double residual = model.logLoss(theta, logN[i], logD[i], scratch) - logL[i];
            double slope;
            if (Math.abs(residual) <= delta) {
                sum += 0.5 * residual * residual;
                slope = residual;
            } else {
                sum += delta * (Math.abs(residual) - 0.5 * delta);
                slope = Math.copySign(delta, residual);
            }
            for (int j = 0; j < theta.length; j++) {
                gradient[j] += slope * scratch[j];
            }
        }
        return sum;
    }
}
