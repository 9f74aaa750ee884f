package org.align4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Tag("kernels")
class PackedGemmTest {
    private static float[] random(SplittableRandom random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    @Test
    void ternaryQuantizerRoundsAndClipsByTheAbsmean() {
        float[] w = {0.9f, -0.1f, -3f, 0.2f};
        byte[] codes = new byte[4];
        float gamma = WeightQuantization.TERNARY.quantize(w, 4, codes);
        assertEquals(1.05f, gamma, 1e-6f);
        assertArrayEquals(new byte[] {1, 0, -1, 0}, codes);
    }

    @Test
    void binaryQuantizerTakesTheSignAroundTheMean() {
        float[] w = {1f, 2f, 3f, -2f};
        byte[] codes = new byte[4];
        float beta = WeightQuantization.BINARY.quantize(w, 4, codes);
        assertEquals(2f, beta, 1e-6f);
        assertArrayEquals(new byte[] {-1, 1, 1, -1}, codes); // mean 1: 1 - 1 = 0 maps to -1
        codes = new byte[4];
        WeightQuantization.BINARY.quantize(new float[] {1.5f, 2f, 3f, -2f}, 4, codes);
        assertArrayEquals(new byte[] {1, 1, 1, -1}, codes);
    }

    @Test
    void activationsQuantizePerTokenByAbsmax() {
        QuantizedActivations q = QuantizedActivations.quantize(new float[] {0.5f, -1f, 0.25f, 2f, 0f, -2f}, 2, 3);
        assertArrayEquals(new byte[] {64, -127, 32, 127, 0, -127}, q.codes());
        assertArrayEquals(new float[] {1f / 127, 2f / 127}, q.scales(), 0f);
    }

    @ParameterizedTest
    @EnumSource(WeightQuantization.class)
    void vectorAndScalarIntegersAreIdenticalAndEqualTheCodeDotProduct(WeightQuantization quantization) {
        SplittableRandom random = new SplittableRandom(7);
        int[][] shapes = {{1, 1, 1}, {5, 63, 1}, {17, 64, 3}, {33, 130, 4}, {70, 257, 2}, {40, 768, 5}, {37, 768, 1},
            {6, 9000, 1}};
        for (int[] shape : shapes) {
            int rows = shape[0];
            int cols = shape[1];
            int tokens = shape[2];
            PackedMatrix w = PackedMatrix.quantize(quantization, random(random, rows * cols), rows, cols);
            QuantizedActivations x = QuantizedActivations.quantize(random(random, tokens * cols), tokens, cols);
            byte[] codes = w.codes();
            int[] expected = new int[tokens * rows];
            for (int t = 0; t < tokens; t++) {
                for (int r = 0; r < rows; r++) {
                    int sum = 0;
                    for (int c = 0; c < cols; c++) {
                        sum += codes[r * cols + c] * x.codes()[t * cols + c];
                    }
                    expected[t * rows + r] = sum;
                }
            }
            assertArrayEquals(expected, PackedGemm.integerProductsScalar(w, x), quantization + " scalar " + rows);
            assertArrayEquals(expected, PackedGemm.integerProducts(w, x), quantization + " vector " + rows);
            float[] vector = new float[tokens * rows];
            float[] scalar = new float[tokens * rows];
            float[] bias = random(random, rows);
            PackedGemm.multiply(w, x, bias, vector);
            PackedGemm.multiplyScalar(w, x, bias, scalar);
            assertArrayEquals(scalar, vector, 0f);
        }
    }

    /** Long rows of extreme codes overflow a short accumulator unless it is widened in time. */
    @ParameterizedTest
    @EnumSource(WeightQuantization.class)
    void longRowsOfExtremeCodesDoNotOverflow(WeightQuantization quantization) {
        int cols = 20_000;
        float[] ones = new float[2 * cols];
        java.util.Arrays.fill(ones, 1f);
        ones[cols - 1] = -1f;
        PackedMatrix w = PackedMatrix.quantize(quantization, ones, 2, cols);
        float[] x = new float[5 * cols];
        java.util.Arrays.fill(x, 0.5f);
        QuantizedActivations q = QuantizedActivations.quantize(x, 5, cols);
        int[] scalar = PackedGemm.integerProductsScalar(w, q);
        assertEquals(127 * (cols - 2), scalar[0]);
        assertEquals(127 * cols, scalar[1]);
        assertArrayEquals(scalar, PackedGemm.integerProducts(w, q));
    }

    @ParameterizedTest
    @EnumSource(WeightQuantization.class)
    void productMatchesTheDequantisedFloatMatmul(WeightQuantization quantization) {
        SplittableRandom random = new SplittableRandom(11);
        int rows = 96;
        int cols = 200;
        int tokens = 3;
        PackedMatrix w = PackedMatrix.quantize(quantization, random(random, rows * cols), rows, cols);
        QuantizedActivations x = QuantizedActivations.quantize(random(random, tokens * cols), tokens, cols);
        float[] weights = w.dequantize();
        float[] inputs = new float[tokens * cols];
        x.dequantize(inputs);
        float[] y = new float[tokens * rows];
        PackedGemm.multiply(w, x, null, y);
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                double sum = 0;
                for (int c = 0; c < cols; c++) {
                    sum += (double) weights[r * cols + c] * inputs[t * cols + c];
                }
                assertEquals(sum, y[t * rows + r], 1e-5 * (1 + Math.abs(sum)), "[" + t + ", " + r + "]");
            }
        }
        float[] one = PackedGemm.multiplyVector(w, QuantizedActivations.quantize(inputs, 1, cols), null);
        assertEquals(rows, one.length);
    }

    /** 2 and 1 bits per weight, less the 32 bytes after each plane that let a kernel's last vector overreach. */
    @Test
    void packedWeightsTakeAtLeastTenTimesLessMemoryThanFloats() {
        float[] w = random(new SplittableRandom(3), 768 * 768);
        long floats = 4L * w.length;
        assertEquals(16.0, (double) floats / PackedMatrix.quantize(WeightQuantization.TERNARY, w, 768, 768).bytes(),
                0.02);
        assertEquals(32.0, (double) floats / PackedMatrix.quantize(WeightQuantization.BINARY, w, 768, 768).bytes(),
                0.02);
    }

    @Test
    void codesRoundTripAndRejectForeignValues() {
        byte[] codes = {1, 0, -1, -1, 1, 0};
        PackedMatrix w = PackedMatrix.fromCodes(WeightQuantization.TERNARY, codes, 2, 3, 0.5f);
        assertArrayEquals(codes, w.codes());
        assertArrayEquals(new float[] {0.5f, 0, -0.5f, -0.5f, 0.5f, 0}, w.dequantize(), 0f);
        assertThrows(IllegalArgumentException.class,
                () -> PackedMatrix.fromCodes(WeightQuantization.BINARY, codes, 2, 3, 1f));
        assertThrows(IllegalArgumentException.class,
                () -> PackedMatrix.fromCodes(WeightQuantization.TERNARY, new byte[] {2}, 1, 1, 1f));
    }
}
