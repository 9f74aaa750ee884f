package org.align4j.tensor;

/**
 * Conversions between float32 and bfloat16 (the upper 16 bits of a float32), bit for bit as PyTorch performs them.
 */
public final class BFloat16 {
    /** The quiet NaN that every float32 NaN becomes, as in PyTorch. */
    public static final short NAN = 0x7FC0;

    private BFloat16() {
    }

    /** Rounds {@code value} to the nearest bfloat16, ties to even; overflow gives infinity, NaN gives {@link #NAN}. */
    public static short fromFloat(float value) {
        if (Float.isNaN(value)) {
            return NAN;
        }
        int bits = Float.floatToRawIntBits(value);
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** The float32 with the same value as the bfloat16 {@code bits} (exact). */
    public static float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
