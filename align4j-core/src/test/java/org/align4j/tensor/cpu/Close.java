package org.align4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.fail;

/** Test helper: element-wise comparison of float arrays with a relative tolerance. */
final class Close {
    private Close() {
    }

    /**
     * Asserts |actual − expected| ≤ rtol · (|expected| + rms(expected)) element-wise. The rms term is the floor for
     * elements that come out near zero through cancellation, whose float error scales with the operands, not the
     * result. Infinite expected values must match exactly; NaN always fails.
     */
    static void assertClose(String what, float[] expected, float[] actual, double rtol) {
        if (expected.length != actual.length) {
            fail(what + ": length " + actual.length + ", expected " + expected.length);
        }
        double squares = 0;
        int finite = 0;
        for (float e : expected) {
            if (Float.isFinite(e)) {
                squares += (double) e * e;
                finite++;
            }
        }
        double rms = finite == 0 ? 0 : Math.sqrt(squares / finite);
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i];
            float a = actual[i];
            boolean ok = Float.isInfinite(e) ? a == e
                    : !Float.isNaN(a) && Math.abs((double) a - e) <= rtol * (Math.abs(e) + rms);
            if (!ok) {
                fail(String.format("%s: element %d is %s, expected %s (rtol %.1g, rms %.4g)", what, i, a, e, rtol,
                        rms));
            }
        }
    }
}
