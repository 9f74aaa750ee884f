package org.align4j.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LbfgsTest {

    /** Rosenbrock's banana, Σ 100 (x[i+1] − x[i]²)² + (1 − x[i])², minimum 0 at (1, ..., 1). */
    private static double rosenbrock(double[] x, double[] g) {
        double f = 0;
        for (int i = 0; i + 1 < x.length; i++) {
            double a = x[i + 1] - x[i] * x[i];
            double b = 1 - x[i];
            f += 100 * a * a + b * b;
            g[i] += -400 * a * x[i] - 2 * b;
            g[i + 1] += 200 * a;
        }
        return f;
    }

    @Test
    void findsTheMinimumOfRosenbrockFromTheClassicStart() {
        Lbfgs.Result r = Lbfgs.minimize(LbfgsTest::rosenbrock, new double[] {-1.2, 1});
        assertTrue(r.converged(), r.termination().toString());
        assertEquals(1, r.point()[0], 1e-6);
        assertEquals(1, r.point()[1], 1e-6);
        assertTrue(r.value() < 1e-12, "f = " + r.value());
    }

    @Test
    void findsTheMinimumOfTenDimensionalRosenbrock() {
        double[] start = new double[10];
        for (int i = 0; i < start.length; i++) {
            start[i] = i % 2 == 0 ? -1.2 : 1;
        }
        Lbfgs.Result r = Lbfgs.minimize(LbfgsTest::rosenbrock, start);
        assertTrue(r.converged(), r.termination().toString());
        for (double v : r.point()) {
            assertEquals(1, v, 1e-5);
        }
    }

    @Test
    void solvesAnIllConditionedQuadraticInFewIterations() {
        double[] scale = {1, 10, 100, 1000, 1e4};
        double[] centre = {3, -2, 1, 0.5, -7};
        Lbfgs.Result r = Lbfgs.minimize((x, g) -> {
            double f = 0;
            for (int i = 0; i < x.length; i++) {
                double d = x[i] - centre[i];
                f += 0.5 * scale[i] * d * d;
                g[i] = scale[i] * d;
            }
            return f;
        }, new double[5]);
        assertTrue(r.converged(), r.termination().toString());
        for (int i = 0; i < centre.length; i++) {
            assertEquals(centre[i], r.point()[i], 1e-6);
        }
        assertTrue(r.iterations() < 60, "iterations " + r.iterations());
    }

    @Test
    void backsOffWhenAStepLeavesTheDomain() {
        // f(x) = x − log x is NaN for x < 0; minimum 1 at x = 1. The first step from 0.05 overshoots below 0.
        Lbfgs.Result r = Lbfgs.minimize((x, g) -> {
            g[0] = 1 - 1 / x[0];
            return x[0] - Math.log(x[0]);
        }, new double[] {0.05});
        assertTrue(r.converged(), r.termination().toString());
        assertEquals(1, r.point()[0], 1e-6);
    }

    @Test
    void reportsANonFiniteStart() {
        Lbfgs.Result r = Lbfgs.minimize((x, g) -> Math.log(x[0]), new double[] {-1});
        assertEquals(Lbfgs.Termination.NON_FINITE_START, r.termination());
    }
}
