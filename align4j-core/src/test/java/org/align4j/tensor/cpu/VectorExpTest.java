package org.align4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The vector exponential against {@link Math#exp}, including its edge cases. */
@Tag("kernels")
class VectorExpTest {
    private static float[] exp(float... x) {
        float[] in = new float[VectorMath.LANES];
        float[] out = new float[VectorMath.LANES];
        float[] result = new float[x.length];
        for (int i = 0; i < x.length; i += VectorMath.LANES) {
            int n = Math.min(VectorMath.LANES, x.length - i);
            System.arraycopy(x, i, in, 0, n);
            VectorMath.exp(FloatVector.fromArray(VectorMath.F, in, 0)).intoArray(out, 0);
            System.arraycopy(out, 0, result, i, n);
        }
        return result;
    }

    @Test
    void withinTwoUlpsOverTheFloatRange() {
        int n = 200_000;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = -87f + 175f * i / (n - 1);
        }
        float[] y = exp(x);
        double worstUlps = 0;
        for (int i = 0; i < n; i++) {
            double want = Math.exp(x[i]);
            worstUlps = Math.max(worstUlps, Math.abs(y[i] - want) / Math.ulp((float) want));
        }
        assertTrue(worstUlps <= 2.0, "worst error " + worstUlps + " ulps");
    }

    @Test
    void edgeCases() {
        float[] y = exp(0f, Float.NEGATIVE_INFINITY, -200f, Float.POSITIVE_INFINITY, 1000f, Float.NaN, 1f);
        assertEquals(1f, y[0]);
        assertEquals(0f, y[1]);
        assertEquals(0f, y[2]);
        assertEquals(Float.POSITIVE_INFINITY, y[3]);
        assertEquals(Float.POSITIVE_INFINITY, y[4]);
        assertTrue(Float.isNaN(y[5]));
        assertEquals((float) Math.E, y[6], Math.ulp((float) Math.E));
    }
}
