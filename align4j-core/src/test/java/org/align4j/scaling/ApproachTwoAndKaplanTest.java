package org.align4j.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IsoFLOP profiles (approach 2), power laws and Kaplan's laws on synthetic runs with known answers. */
class ApproachTwoAndKaplanTest {
    @TempDir
    Path tmp;

    /** Runs on IsoFLOP profiles of a Chinchilla law: 9 sizes spread ±1 decade around N_opt at each budget. */
    private static List<TrainingRun> isoFlopRuns(ChinchillaLaw law, double[] budgets) {
        List<TrainingRun> runs = new ArrayList<>();
        for (double c : budgets) {
            double centre = law.optimalParameters(c);
            for (int i = -4; i <= 4; i++) {
                double n = centre * Math.pow(10, i / 4.0);
                double d = c / (6 * n);
                runs.add(new TrainingRun(n, d, c, law.loss(n, d), "C=" + c + " N=" + n));
            }
        }
        return runs;
    }

    @Test
    void isoFlopVerticesFollowTheLawsComputeOptimalExponents() {
        ChinchillaLaw law = new ChinchillaLaw(1.69, 406.4, 410.7, 0.34, 0.28);
        double[] budgets = {1e18, 1e19, 1e20, 1e21, 1e22};
        IsoFlopAnalysis iso = IsoFlopAnalysis.fit(isoFlopRuns(law, budgets), 0.02, 3, 0, 1);
        assertEquals(5, iso.profiles().size());
        for (IsoFlopAnalysis.Profile p : iso.profiles()) {
            assertTrue(p.interior());
            // A parabola in log N approximates the profile: its vertex lies within 15% of the true optimum.
            assertEquals(law.optimalParameters(p.compute()), p.optimalParameters(),
                    0.15 * law.optimalParameters(p.compute()));
            assertEquals(p.compute(), 6 * p.optimalParameters() * p.optimalTokens(), 1e-6 * p.compute());
        }
        assertEquals(law.parameterExponent(), iso.parametersVsCompute().exponent(), 0.02);
        assertEquals(1, iso.parametersVsCompute().exponent() + iso.tokensVsCompute().exponent(), 1e-9);
    }

    @Test
    void aMinimumAtAnEdgeOfTheSizesIsFlaggedAndLeftOutOfThePowerLaw() {
        ChinchillaLaw law = new ChinchillaLaw(1.69, 406.4, 410.7, 0.34, 0.28);
        List<TrainingRun> runs = new ArrayList<>(isoFlopRuns(law, new double[] {1e18, 1e20}));
        // At 1e22 only sizes from twice N_opt up: the loss rises over all of them, the vertex lies below them.
        double c = 1e22;
        for (int i = 1; i <= 5; i++) {
            double n = 2 * law.optimalParameters(c) * Math.pow(10, i / 4.0);
            runs.add(TrainingRun.of(n, c / (6 * n), law.loss(n, c / (6 * n)), "edge " + i));
        }
        IsoFlopAnalysis iso = IsoFlopAnalysis.fit(runs, 0.02, 3, 0, 1);
        assertEquals(List.of(IsoFlopAnalysis.MinimumPosition.INTERIOR, IsoFlopAnalysis.MinimumPosition.INTERIOR,
                IsoFlopAnalysis.MinimumPosition.BELOW_SMALLEST),
                iso.profiles().stream().map(IsoFlopAnalysis.Profile::position).toList());
        assertFalse(iso.everyMinimumInterior());
        assertEquals(2, iso.parametersVsCompute().points());
        assertEquals(law.parameterExponent(), iso.parametersVsCompute().exponent(), 0.02);
    }

    @Test
    void aMinimumJustBeyondTheLargestSizeIsAboveItAndJustInsideIsInterior() {
        for (double vertex : new double[] {11.95, 12.05}) {
            List<TrainingRun> runs = new ArrayList<>();
            for (double x : new double[] {10, 11, 12}) {
                double n = Math.exp(x);
                runs.add(new TrainingRun(n, 1e18 / (6 * n), 1e18, 3 + (x - vertex) * (x - vertex), "x=" + x));
            }
            IsoFlopAnalysis.Profile p = IsoFlopAnalysis.profile(runs);
            assertEquals(Math.exp(vertex), p.optimalParameters(), 1e-6 * Math.exp(vertex));
            assertEquals(vertex < 12 ? IsoFlopAnalysis.MinimumPosition.INTERIOR
                    : IsoFlopAnalysis.MinimumPosition.ABOVE_LARGEST, p.position());
            assertEquals(vertex < 12, p.interior());
        }
    }

    @Test
    void aParabolaOpeningDownwardHasNoMinimum() {
        List<TrainingRun> runs = List.of(TrainingRun.of(1e6, 1e9, 3.0, "a"), TrainingRun.of(2e6, 5e8, 3.2, "b"),
                TrainingRun.of(4e6, 2.5e8, 3.0, "c"));
        IsoFlopAnalysis.Profile p = IsoFlopAnalysis.profile(runs);
        assertEquals(IsoFlopAnalysis.MinimumPosition.NO_MINIMUM, p.position());
        assertTrue(Double.isNaN(p.optimalParameters()));
    }

    @Test
    void theBootstrapIntervalOfApproachTwoCoversTheExponentOfNoisyRunsFromAKnownLaw() {
        // Hoffmann et al.'s fitted law: a = β / (α + β) = 0.452; losses with 1% multiplicative noise.
        ChinchillaLaw law = new ChinchillaLaw(1.69, 406.4, 410.7, 0.34, 0.28);
        SplittableRandom rng = new SplittableRandom(7);
        List<TrainingRun> runs = new ArrayList<>();
        for (TrainingRun r : isoFlopRuns(law, new double[] {1e18, 1e19, 1e20, 1e21})) {
            runs.add(new TrainingRun(r.parameters(), r.tokens(), r.compute(),
                    r.loss() * (1 + 0.01 * rng.nextGaussian()), r.source()));
        }
        IsoFlopAnalysis iso = IsoFlopAnalysis.fit(runs, 0.02, 3, 400, 3);
        assertTrue(iso.everyMinimumInterior());
        Estimate a = iso.parameterExponent();
        assertEquals(iso.parametersVsCompute().exponent(), a.value(), 1e-12);
        assertTrue(a.lower() < law.parameterExponent() && law.parameterExponent() < a.upper(),
                "interval [" + a.lower() + ", " + a.upper() + "] misses a = " + law.parameterExponent());
        // The noise moves the vertices: the interval has width, but stays informative.
        assertTrue(a.upper() - a.lower() > 0.01 && a.upper() - a.lower() < 0.3,
                "interval [" + a.lower() + ", " + a.upper() + "]");
        assertTrue(iso.bootstrapFits() > 380, "bootstrap fits " + iso.bootstrapFits());
        assertEquals(1 - a.value(), iso.tokenExponent().value(), 1e-12);
        assertEquals(1 - a.upper(), iso.tokenExponent().lower(), 1e-12);
    }

    @Test
    void parabolaThroughExactPointsIsRecovered() {
        List<TrainingRun> runs = new ArrayList<>();
        for (double x : new double[] {10, 11, 12, 13}) {
            double n = Math.exp(x);
            runs.add(new TrainingRun(n, 1e18 / (6 * n), 1e18, 3 + 0.5 * (x - 11.5) * (x - 11.5), "x=" + x));
        }
        IsoFlopAnalysis.Profile p = IsoFlopAnalysis.profile(runs);
        assertEquals(Math.exp(11.5), p.optimalParameters(), 1e-6 * Math.exp(11.5));
        assertEquals(3, p.minimumLoss(), 1e-9);
        assertEquals(3.5, p.loss(Math.exp(12.5)), 1e-9);
    }

    @Test
    void groupsOnlyProfilesWithEnoughSizesAndFitsNoLawThroughFewerThanTwoVertices() {
        List<TrainingRun> runs = List.of(TrainingRun.of(1e6, 1e9, 3.0, "a"), TrainingRun.of(2e6, 5e8, 2.9, "b"),
                TrainingRun.of(4e6, 2.5e8, 3.1, "c"), TrainingRun.of(1e6, 1e11, 2.5, "d"));
        IsoFlopAnalysis iso = IsoFlopAnalysis.fit(runs, 0.02, 3, 0, 1);
        assertEquals(1, iso.profiles().size());
        assertEquals(3, iso.profiles().getFirst().runs().size());
        assertNull(iso.parametersVsCompute());
    }

    @Test
    void powerLawFitRecoversKaplansConstants() {
        double[] n = {1e6, 1e7, 1e8, 1e9};
        double[] loss = new double[n.length];
        for (int i = 0; i < n.length; i++) {
            loss[i] = Math.pow(8.8e13 / n[i], 0.076);
        }
        PowerLaw law = PowerLaw.fit(n, loss);
        assertEquals(0.076, law.kaplanExponent(), 1e-12);
        assertEquals(8.8e13, law.kaplanScale(), 1e-6 * 8.8e13);
        assertEquals(loss[2], law.apply(n[2]), 1e-12);
    }

    @Test
    void lowerEnvelopeKeepsTheRunsThatImproveOnEverySmallerOne() {
        List<TrainingRun> runs = List.of(TrainingRun.of(1e6, 1e9, 3.0, "a"), TrainingRun.of(2e6, 1e8, 3.2, "b"),
                TrainingRun.of(2e6, 1e10, 2.8, "c"), TrainingRun.of(4e6, 1e9, 2.7, "d"));
        assertEquals(List.of("a", "c", "d"),
                KaplanFit.lowerEnvelope(runs, TrainingRun::parameters).stream().map(TrainingRun::source).toList());
    }

    @Test
    void jointKaplanFitRecoversAnExactLaw() {
        KaplanLaw truth = new KaplanLaw(8.8e13, 5.4e13, 0.076, 0.095);
        List<TrainingRun> runs = new ArrayList<>();
        for (double n = 1e6; n <= 1e9; n *= 4) {
            for (double d = 1e8; d <= 1e11; d *= 4) {
                runs.add(TrainingRun.of(n, d, truth.loss(n, d), "N=" + n + " D=" + d));
            }
        }
        KaplanFit fit = KaplanFit.fit(runs, HuberLogLossFit.CHINCHILLA_DELTA);
        assertEquals(0.076, fit.joint().alphaN(), 1e-3);
        assertEquals(0.095, fit.joint().alphaD(), 1e-3);
        assertEquals(truth.loss(3e8, 3e9), fit.joint().loss(3e8, 3e9), 1e-4);
        assertTrue(fit.jointObjective() < 1e-8, "objective " + fit.jointObjective());
    }

    @Test
    void approachTwoOnTheChinchillaPointsGivesExponentsNearOneHalf() {
        IsoFlopAnalysis iso = IsoFlopAnalysis.fit(ChinchillaPoints.all(tmp), 0.02, 5, 0, 1);
        assertTrue(iso.profiles().size() >= 9, "profiles: " + iso.profiles().size());
        // Hoffmann et al.'s approach 2: a = 0.49, b = 0.51.
        assertEquals(0.49, iso.parametersVsCompute().exponent(), 0.03);
        assertEquals(0.51, iso.tokensVsCompute().exponent(), 0.03);
    }
}
