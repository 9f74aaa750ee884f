package org.align4j.autograd;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GradientCheckerTest {

    /** out[i] = x[i]² y[i] + x[(i + 1) % n], a float function with cross terms. */
    private static float[] function(List<float[]> in) {
        float[] x = in.get(0);
        float[] y = in.get(1);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * x[i] * y[i] + x[(i + 1) % x.length];
        }
        return out;
    }

    private static List<float[]> gradients(List<float[]> in, float[] dout) {
        float[] x = in.get(0);
        float[] y = in.get(1);
        int n = x.length;
        float[] dx = new float[n];
        float[] dy = new float[n];
        for (int i = 0; i < n; i++) {
            dx[i] = 2 * x[i] * y[i] * dout[i] + dout[(i - 1 + n) % n];
            dy[i] = x[i] * x[i] * dout[i];
        }
        return List.of(dx, dy);
    }

    private static List<float[]> inputs() {
        Random random = new Random(7);
        float[] x = new float[20];
        float[] y = new float[20];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
            y[i] = (float) random.nextGaussian();
        }
        return List.of(x, y);
    }

    @Test
    void acceptsTheCorrectGradientWithASmallError() {
        List<GradientChecker.InputReport> reports = new GradientChecker().measure(
                GradientCheckerTest::function, GradientCheckerTest::gradients, inputs());
        assertEquals(2, reports.size());
        for (GradientChecker.InputReport report : reports) {
            assertTrue(report.relativeError() < 1e-3, report.toString());
        }
        new GradientChecker().check("x² y", GradientCheckerTest::function, GradientCheckerTest::gradients, inputs());
    }

    @Test
    void rejectsAGradientFivePercentTooLarge() {
        GradientChecker.Gradients scaled = (in, dout) -> {
            List<float[]> g = gradients(in, dout);
            for (int i = 0; i < g.get(1).length; i++) {
                g.get(1)[i] *= 1.05f;
            }
            return g;
        };
        AssertionError e = assertThrows(AssertionError.class,
                () -> new GradientChecker().check("scaled", GradientCheckerTest::function, scaled, inputs()));
        assertTrue(e.getMessage().contains("input 1"), e.getMessage());
    }

    @Test
    void rejectsAGradientWithOneWrongElement() {
        GradientChecker.Gradients oneWrong = (in, dout) -> {
            List<float[]> g = gradients(in, dout);
            g.get(0)[3] = -g.get(0)[3];
            return g;
        };
        assertThrows(AssertionError.class,
                () -> new GradientChecker().check("one wrong", GradientCheckerTest::function, oneWrong, inputs()));
    }

    @Test
    void checksOnlyTheRequestedNumberOfCoordinatesOfALargeInput() {
        List<GradientChecker.InputReport> reports = new GradientChecker().withMaxCoordinates(5).measure(
                GradientCheckerTest::function, GradientCheckerTest::gradients, inputs());
        assertEquals(5, reports.get(0).coordinates());
    }
}
