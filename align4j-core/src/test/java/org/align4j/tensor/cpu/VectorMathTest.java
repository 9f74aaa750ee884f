package org.align4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The vector building blocks against the plain loops they stand for, bit for bit, at the JVM's vector width. */
@Tag("kernels")
class VectorMathTest {
    private static final SplittableRandom RANDOM = new SplittableRandom(3);

    private static float wide() {
        return (float) (RANDOM.nextGaussian() * Math.exp(3 * RANDOM.nextGaussian()));
    }

    /** sumLanes is the pairwise tree that folds the upper half of the lanes onto the lower, halving to one. */
    @Test
    void sumLanesIsTheHalvingTree() {
        float[] lanes = new float[VectorMath.LANES];
        for (int trial = 0; trial < 2000; trial++) {
            for (int i = 0; i < lanes.length; i++) {
                lanes[i] = wide();
            }
            float[] tree = lanes.clone();
            for (int n = tree.length; n > 1; n /= 2) {
                for (int i = 0; i < n / 2; i++) {
                    tree[i] = tree[i] + tree[i + n / 2];
                }
            }
            float actual = VectorMath.sumLanes(FloatVector.fromArray(VectorMath.F, lanes, 0));
            assertEquals(Float.floatToRawIntBits(tree[0]), Float.floatToRawIntBits(actual), "trial " + trial);
        }
    }

    /** weightedRowSum is axpy applied row after row (zero weights skipped), at every row width. */
    @Test
    void weightedRowSumIsAxpyRowAfterRow() {
        for (int n : new int[] {1, 3, VectorMath.LANES, 4 * VectorMath.LANES, 5 * VectorMath.LANES + 3, 64, 80}) {
            int rows = 37;
            int stride = n + 5;
            float[] w = new float[rows];
            for (int j = 0; j < rows; j++) {
                w[j] = j % 5 == 0 ? 0f : wide();
            }
            float[] x = new float[3 + rows * stride];
            for (int i = 0; i < x.length; i++) {
                x[i] = wide();
            }
            float[] expected = new float[n + 2];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = wide();
            }
            float[] actual = expected.clone();
            for (int j = 0; j < rows; j++) {
                if (w[j] != 0f) {
                    VectorMath.axpy(w[j], x, 3 + j * stride, expected, 1, n);
                }
            }
            VectorMath.weightedRowSum(w, rows, x, 3, stride, actual, 1, n);
            assertArrayEquals(expected, actual, 0f, "n=" + n);
        }
    }
}
