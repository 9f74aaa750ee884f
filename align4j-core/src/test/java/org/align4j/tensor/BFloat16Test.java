package org.align4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Bit patterns computed by hand (and checked with numpy) for PyTorch's float32 to bfloat16 rounding. */
class BFloat16Test {

    private static void assertBits(int expected, float value) {
        assertEquals(expected, BFloat16.fromFloat(value) & 0xFFFF,
                () -> Float.toHexString(value) + " -> 0x" + Integer.toHexString(BFloat16.fromFloat(value) & 0xFFFF));
    }

    private static float bits(int raw) {
        return Float.intBitsToFloat(raw);
    }

    @Test
    void ordinaryValues() {
        assertBits(0x3F80, 1f);
        assertBits(0x4049, 3.14159f);
        assertBits(0xC020, -2.5f);
        assertBits(0x3DCD, 0.1f);
        assertBits(0x4780, 65504f);
        assertBits(0x0000, 0f);
        assertBits(0x8000, -0f);
        assertBits(0x7F80, Float.POSITIVE_INFINITY);
        assertBits(0xFF80, Float.NEGATIVE_INFINITY);
    }

    @Test
    void roundsHalfToEven() {
        assertBits(0x3F80, bits(0x3F808000));
        assertBits(0x3F82, bits(0x3F818000));
        assertBits(0x3F81, bits(0x3F808001));
        assertBits(0x3F80, bits(0x3F807FFF));
    }

    @Test
    void subnormals() {
        assertBits(0x0000, bits(0x00000001));
        assertBits(0x0000, bits(0x00008000));
        assertBits(0x0002, bits(0x00018000));
        assertBits(0x8000, bits(0x80008000));
        assertBits(0x0001, Float.MIN_NORMAL / 128);
    }

    @Test
    void overflowToInfinityAndNaN() {
        assertBits(0x7F80, Float.MAX_VALUE);
        assertBits(0x7FC0, Float.NaN);
        assertBits(0x7FC0, bits(0xFFC00000));
        assertBits(0x7FC0, bits(0x7F800001));
        assertTrue(Float.isNaN(BFloat16.toFloat(BFloat16.NAN)));
    }

    @Test
    void toFloatIsExact() {
        for (int b = 0; b <= 0xFFFF; b++) {
            float f = BFloat16.toFloat((short) b);
            assertEquals(b << 16, Float.floatToRawIntBits(f));
            if (!Float.isNaN(f)) {
                assertEquals(b, BFloat16.fromFloat(f) & 0xFFFF);
            }
        }
    }
}
