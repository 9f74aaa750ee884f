package org.align4j.quant;

/**
 * A weight matrix [rows, cols] (an {@code nn.Linear}'s [out, in]) quantised by a {@link WeightQuantization} and packed
 * into bit-planes for {@link PackedGemm}: each row is {@link #wordsPerRow()} 64-bit words per plane, bit j of word w
 * standing for column 64w + j (bits past the last column are 0).
 *
 * <ul>
 *   <li>Ternary, 2 bits per weight: a plus-plane (bit set where W̃ = +1) and a minus-plane (W̃ = −1); 0 has neither.
 *       Then W̃ · x̃ = Σ_plus x̃ − Σ_minus x̃.</li>
 *   <li>Binary, 1 bit per weight: the plus-plane only (bit set where W̃ = +1, clear where −1). Then
 *       W̃ · x̃ = 2 Σ_plus x̃ − Σ x̃.</li>
 * </ul>
 *
 * The float weights are W ≈ {@link #scale()} · W̃.
 */
public final class PackedMatrix {
    private final WeightQuantization quantization;
    private final int rows;
    private final int cols;
    private final int wordsPerRow;
    private final long[] plus;
    private final long[] minus;
    private final float scale;

    private PackedMatrix(WeightQuantization quantization, int rows, int cols, long[] plus, long[] minus, float scale) {
        this.quantization = quantization;
        this.rows = rows;
        this.cols = cols;
        this.wordsPerRow = wordsPerRow(cols);
        this.plus = plus;
        this.minus = minus;
        this.scale = scale;
    }

    /** 64-bit words per row and plane for {@code cols} columns. */
    public static int wordsPerRow(int cols) {
        return (cols + 63) >>> 6;
    }

    /** Quantises the float matrix {@code w} [rows, cols] with {@code quantization} and packs it. */
    public static PackedMatrix quantize(WeightQuantization quantization, float[] w, int rows, int cols) {
        byte[] codes = new byte[rows * cols];
        float scale = quantization.quantize(w, rows * cols, codes);
        return fromCodes(quantization, codes, rows, cols, scale);
    }

    /**
     * Packs the codes W̃ [rows, cols] (in {−1, 0, 1} for ternary, {−1, 1} for binary) with their scale.
     *
     * @throws IllegalArgumentException for a code the quantisation does not have
     */
    public static PackedMatrix fromCodes(WeightQuantization quantization, byte[] codes, int rows, int cols,
                                         float scale) {
        int words = wordsPerRow(cols);
        long[] plus = new long[rows * words];
        long[] minus = quantization == WeightQuantization.TERNARY ? new long[rows * words] : null;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int code = codes[r * cols + c];
                int word = r * words + (c >>> 6);
                long bit = 1L << (c & 63);
                if (code == 1) {
                    plus[word] |= bit;
                } else if (code == -1) {
                    if (minus != null) {
                        minus[word] |= bit;
                    }
                } else if (code != 0 || minus == null) {
                    throw new IllegalArgumentException("code " + code + " at [" + r + ", " + c + "] is not a "
                            + quantization.name().toLowerCase() + " weight");
                }
            }
        }
        return new PackedMatrix(quantization, rows, cols, plus, minus, scale);
    }

    /** The code W̃[r, c]. */
    public int code(int r, int c) {
        int word = r * wordsPerRow + (c >>> 6);
        long bit = 1L << (c & 63);
        if ((plus[word] & bit) != 0) {
            return 1;
        }
        return minus == null || (minus[word] & bit) != 0 ? -1 : 0;
    }

    /** The codes W̃ [rows, cols], row-major. */
    public byte[] codes() {
        byte[] codes = new byte[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                codes[r * cols + c] = (byte) code(r, c);
            }
        }
        return codes;
    }

    /** The dequantised float matrix scale · W̃ [rows, cols]. */
    public float[] dequantize() {
        float[] w = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                w[r * cols + c] = scale * code(r, c);
            }
        }
        return w;
    }

    /** The quantiser of the codes. */
    public WeightQuantization quantization() {
        return quantization;
    }

    /** Output rows. */
    public int rows() {
        return rows;
    }

    /** Input columns. */
    public int cols() {
        return cols;
    }

    /** 64-bit words per row and plane. */
    public int wordsPerRow() {
        return wordsPerRow;
    }

    /** The per-tensor scale γ (ternary) or β (binary). */
    public float scale() {
        return scale;
    }

    /** The plus-plane, [rows, wordsPerRow]; shared, not copied. */
    long[] plusPlane() {
        return plus;
    }

    /** The minus-plane of a ternary matrix, [rows, wordsPerRow], or null for a binary one; shared, not copied. */
    long[] minusPlane() {
        return minus;
    }

    /** Bytes the packed weights occupy: the planes plus the 4-byte scale. */
    public long bytes() {
        return 8L * (plus.length + (minus == null ? 0 : minus.length)) + Float.BYTES;
    }
}
