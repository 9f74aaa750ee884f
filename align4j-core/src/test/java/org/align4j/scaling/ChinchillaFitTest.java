package org.align4j.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Approach 3 on Epoch AI's points of Hoffmann et al.'s Figure 4, against the reference fits. To keep the suite fast the
 * fits start from every other value of each axis of the paper's grid (a, b ∈ {0, 10, 20}, e ∈ {−1, 0, 1},
 * α, β ∈ {0, 1, 2}: 243 of the 4500 starts), which reaches the same optimum as the full grid (the CLI's default).
 */
class ChinchillaFitTest {
    static final List<double[]> COARSE_GRID = ChinchillaLaw.coarseStartGrid();

    @TempDir
    Path tmp;

    @Test
    void withoutTheFiveHighestLossPointsReproducesEpochAisFit() {
        ChinchillaFit fit = ChinchillaFit.fit(ChinchillaPoints.withoutHighestLoss(tmp), COARSE_GRID,
                HuberLogLossFit.CHINCHILLA_DELTA, 40, 7);
        ChinchillaLaw law = fit.law();
        assertEquals(240, fit.runs());
        assertEquals(1.817, law.e(), 0.01 * 1.817);
        assertEquals(0.348, law.alpha(), 0.01 * 0.348);
        assertEquals(0.366, law.beta(), 0.01 * 0.366);
        assertEquals(482, law.a(), 0.05 * 482);
        assertEquals(2085, law.b(), 0.05 * 2085);
        Map<String, Estimate> estimates = fit.estimates();
        for (Map.Entry<String, Estimate> e : estimates.entrySet()) {
            Estimate est = e.getValue();
            assertTrue(est.lower() < est.upper() && est.standardError() > 0, e.getKey() + ": " + est);
        }
        assertTrue(estimates.get("alpha").lower() < 0.348 && 0.348 < estimates.get("alpha").upper());
    }

    @Test
    void withAllPointsMatchesTheReferenceFit() {
        ChinchillaLaw law = ChinchillaFit.fit(ChinchillaPoints.all(tmp), COARSE_GRID, HuberLogLossFit.CHINCHILLA_DELTA,
                0, 7).law();
        assertEquals(1.89, law.e(), 0.01 * 1.89);
        assertEquals(0.349, law.alpha(), 0.01 * 0.349);
        assertEquals(0.453, law.beta(), 0.01 * 0.453);
        assertEquals(496, law.a(), 0.05 * 496);
        assertEquals(12850, law.b(), 0.05 * 12850);
    }

    @Test
    void closedFormFrontierMinimisesTheLossAtFixedCompute() {
        ChinchillaLaw law = new ChinchillaLaw(1.69, 406.4, 410.7, 0.34, 0.28);
        assertEquals(0.28 / 0.62, law.parameterExponent(), 1e-12);
        assertEquals(0.34 / 0.62, law.tokenExponent(), 1e-12);
        for (double c : new double[] {1e18, 5.76e23, 1e26}) {
            double nOpt = law.optimalParameters(c);
            assertEquals(c, 6 * nOpt * law.optimalTokens(c), 1e-9 * c);
            double best = law.loss(nOpt, c / (6 * nOpt));
            for (double factor : new double[] {0.9, 0.99, 1.01, 1.1}) {
                double n = nOpt * factor;
                assertTrue(law.loss(n, c / (6 * n)) > best, "N_opt is not the minimum at C = " + c);
            }
        }
        // Hoffmann et al.'s Table 3 lists about 67B parameters for Gopher's budget under approach 3 (their fit).
        double gopher = law.optimalParameters(5.76e23);
        assertTrue(gopher > 3e10 && gopher < 1.2e11, "N_opt(5.76e23) = " + gopher);
    }

    @Test
    void bootstrapIntervalsComeFromResamplesAroundTheFit() {
        List<TrainingRun> runs = ChinchillaPoints.withoutHighestLoss(tmp);
        ChinchillaFit fit = ChinchillaFit.fit(runs, COARSE_GRID, HuberLogLossFit.CHINCHILLA_DELTA, 20, 3);
        assertEquals(20, fit.bootstrapLaws().size());
        ChinchillaFit.FrontierPoint point = fit.frontier(new double[] {1e21}).getFirst();
        assertTrue(point.parameters().lower() <= point.parameters().value()
                && point.parameters().value() <= point.parameters().upper(), point.toString());
        assertEquals(point.tokens().value() / point.parameters().value(), point.tokensPerParameter().value(), 1e-6);
    }
}
