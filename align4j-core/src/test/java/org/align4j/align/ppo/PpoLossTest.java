package org.align4j.align.ppo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** PPO's building blocks against hand-computed numbers: GAE, whitening, the clipped losses, KL estimators, β control. */
class PpoLossTest {
    private static final double EPS = 1e-9;

    @Test
    void gaeMatchesTheBackwardRecursionByHand() {
        // γ = 0.9, λ = 0.8: δ2 = 2 − 1.5 = 0.5; δ1 = 0 + 0.9·1.5 − 1 = 0.35; δ0 = 1 + 0.9·1 − 0.5 = 1.4;
        // Â2 = 0.5, Â1 = 0.35 + 0.72·0.5 = 0.71, Â0 = 1.4 + 0.72·0.71 = 1.9112.
        Gae.Result r = Gae.of(new double[] {1, 0, 2}, new double[] {0.5, 1.0, 1.5}, 0.9, 0.8);
        assertArrayEquals(new double[] {1.9112, 0.71, 0.5}, r.advantages(), EPS);
        assertArrayEquals(new double[] {2.4112, 1.71, 2.0}, r.returns(), EPS);
    }

    @Test
    void gaeWithLambdaOneIsTheDiscountedReturnMinusTheValue() {
        Gae.Result r = Gae.of(new double[] {0, 0, 3}, new double[] {0.2, -0.4, 1.0}, 1.0, 1.0);
        assertArrayEquals(new double[] {3, 3, 3}, r.returns(), EPS);
        assertArrayEquals(new double[] {2.8, 3.4, 2.0}, r.advantages(), EPS);
        Gae.Result td = Gae.of(new double[] {0, 0, 3}, new double[] {0.2, -0.4, 1.0}, 1.0, 0.0);
        assertArrayEquals(new double[] {-0.6, 1.4, 2.0}, td.advantages(), EPS, "λ = 0: one-step TD errors");
    }

    @Test
    void whiteningUsesTheUnbiasedVarianceOverAllTokens() {
        // mean 2, unbiased variance (4 + 4 + 0) / 2 = 4, std 2
        double[][] x = {{0, 4}, {2}};
        double[][] shifted = Whitening.whiten(x, true);
        double unit = 2 / Math.sqrt(4 + Whitening.EPSILON);
        assertArrayEquals(new double[] {-unit, unit}, shifted[0], EPS);
        assertArrayEquals(new double[] {0}, shifted[1], EPS);
        double[][] scaledOnly = Whitening.whiten(x, false);
        assertArrayEquals(new double[] {1, 3}, scaledOnly[0], 1e-8);
        assertArrayEquals(new double[] {2}, scaledOnly[1], 1e-8);
    }

    @Test
    void clippedPolicyLossByHand() {
        // ratios 1.5 (A = 1: clipped term −1.2 wins), 0.5 (A = 2: unclipped −1.0 wins), 1.1 (A = −1: equal, 1.1)
        double[] old = {0, 0, 0};
        double[] logp = {Math.log(1.5), Math.log(0.5), Math.log(1.1)};
        PpoLoss.Policy p = PpoLoss.policy(logp, old, new double[] {1, 2, -1}, 0.2);
        assertEquals((-1.2 - 1.0 + 1.1) / 3, p.loss(), EPS);
        assertArrayEquals(new double[] {0, -2 * 0.5 / 3, 1.1 / 3}, p.gradient(), EPS);
        assertEquals(1.0 / 3, p.clipFraction(), EPS);
        assertEquals((1.5 + 0.5 + 1.1) / 3, p.meanRatio(), EPS);
        double expectedKl = 0.5 * (Math.pow(Math.log(1.5), 2) + Math.pow(Math.log(0.5), 2) + Math.pow(Math.log(1.1), 2))
                / 3;
        assertEquals(expectedKl, p.approxKl(), EPS);
    }

    @Test
    void clippedValueLossByHand() {
        // v = 1, old 0.5, R = 0: unclipped 1.0 beats clipped 0.49; R = 2: clipped 1.69 wins (no gradient);
        // v = 0.6 inside the range: both 0.16
        PpoLoss.Value v = PpoLoss.value(new double[] {1.0, 1.0, 0.6}, new double[] {0.5, 0.5, 0.5},
                new double[] {0.0, 2.0, 1.0}, 0.2);
        assertEquals((0.5 + 0.845 + 0.08) / 3, v.loss(), 1e-12);
        assertArrayEquals(new double[] {1.0 / 3, 0, -0.4 / 3}, v.gradient(), 1e-12);
        assertEquals(1.0 / 3, v.clipFraction(), EPS);
    }

    @Test
    void lossGradientsMatchFiniteDifferences() {
        double[] old = {-1.0, -2.0, -0.5, -3.0};
        double[] adv = {0.7, -1.3, 0.4, -0.2};
        double[] logp = {-0.95, -2.6, -0.1, -3.05};
        double h = 1e-6;
        double[] g = PpoLoss.policy(logp, old, adv, 0.2).gradient();
        double[] values = {0.3, -0.9, 1.4, 0.0};
        double[] oldValues = {0.25, -0.2, 1.5, 0.5};
        double[] returns = {1.0, 0.5, -1.0, 0.4};
        double[] gv = PpoLoss.value(values, oldValues, returns, 0.2).gradient();
        for (int i = 0; i < logp.length; i++) {
            double[] up = logp.clone();
            double[] down = logp.clone();
            up[i] += h;
            down[i] -= h;
            double fd = (PpoLoss.policy(up, old, adv, 0.2).loss() - PpoLoss.policy(down, old, adv, 0.2).loss()) / (2 * h);
            assertEquals(fd, g[i], 1e-7, "policy token " + i);
            double[] vUp = values.clone();
            double[] vDown = values.clone();
            vUp[i] += h;
            vDown[i] -= h;
            double fdv = (PpoLoss.value(vUp, oldValues, returns, 0.2).loss()
                    - PpoLoss.value(vDown, oldValues, returns, 0.2).loss()) / (2 * h);
            assertEquals(fdv, gv[i], 1e-7, "value token " + i);
        }
    }

    @Test
    void klEstimators() {
        assertEquals(0.5, KlEstimator.K1.estimate(-1.0, -1.5), EPS);
        assertEquals(Math.exp(-0.5) - 1 + 0.5, KlEstimator.K3.estimate(-1.0, -1.5), EPS);
        assertEquals(-0.5, KlEstimator.K1.estimate(-1.5, -1.0), EPS, "k1 can be negative");
        assertTrue(KlEstimator.K3.estimate(-1.5, -1.0) > 0, "k3 never is");
        assertEquals(0, KlEstimator.K3.estimate(-2, -2), EPS);
        assertEquals(KlEstimator.K3, KlEstimator.of("k3"));
        assertThrows(IllegalArgumentException.class, () -> KlEstimator.of("k2"));
    }

    @Test
    void adaptiveControllerFollowsZieglerEquationTwo() {
        KlController c = KlController.adaptive(0.2, 6, 10000);
        c.update(9, 256); // error clipped to +0.2
        assertEquals(0.2 * (1 + 0.2 * 256 / 10000.0), c.value(), EPS);
        double before = c.value();
        c.update(6.6, 256); // error 0.1
        assertEquals(before * (1 + 0.1 * 256 / 10000.0), c.value(), 1e-12);
        before = c.value();
        c.update(1, 256); // error clipped to −0.2
        assertEquals(before * (1 - 0.2 * 256 / 10000.0), c.value(), 1e-12);
        KlController fixed = KlController.fixed(0.05);
        fixed.update(100, 256);
        assertEquals(0.05, fixed.value());
        assertFalse(fixed.isAdaptive());
    }

    @Test
    void adaptiveControllerConvergesTowardsTheTarget() {
        // KL falls as β grows (KL = 1 / β): the controller settles where KL ≈ target
        KlController c = KlController.adaptive(0.05, 4, 100);
        for (int i = 0; i < 2000; i++) {
            c.update(1 / c.value(), 10);
        }
        assertEquals(4, 1 / c.value(), 0.2);
    }
}
