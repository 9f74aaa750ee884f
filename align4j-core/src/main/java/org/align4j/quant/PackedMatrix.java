package org.align4j.quant;

/**
 * A weight matrix [rows, cols] (an {@code nn.Linear}'s [out, in]) quantised by a {@link WeightQuantization} and packed
 * into bit-planes for {@link PackedGemm}.
 *
 * <ul>
 *   <li>Ternary, 2 bits per weight: a plus-plane (bit set where W̃ = +1) and a minus-plane (W̃ = −1); 0 has neither.
 *       Then W̃ · x̃ = Σ_plus x̃ − Σ_minus x̃.</li>
 *   <li>Binary, 1 bit per weight: the plus-plane only (bit set where W̃ = +1, clear where −1). Then
 *       W̃ · x̃ = 2 Σ_plus x̃ − Σ x̃.</li>
 * </ul>
 *
 * <p>Layout: each row of a plane is {@link #blocksPerRow()} blocks of {@value #BLOCK_COLUMNS} columns, a block being
 * {@value #BLOCK_LANES} 16-bit words; bit {@code 15 − s} of word {@code l} of block {@code b} stands for column
 * {@code 256 b + 16 s + l} (bits past the last column are 0). Word l thus holds the 16 columns that lane l of a
 * 16-lane vector meets in 16 steps of 16 consecutive columns, top bit first: the kernels test a word's sign bit and
 * double it, so that a lane's mask costs a compare instead of a broadcast, an AND and a compare of its bits.
 *
 * The float weights are W ≈ {@link #scale()} · W̃.
 */
public final class PackedMatrix {
    /** Columns of a block. */
    public static final int BLOCK_COLUMNS = 256;
    /** 16-bit words of a block per plane; also the steps of 16 columns each word covers. */
    public static final int BLOCK_LANES = 16;
    /** Words after the last row of each plane, so that a vector of up to 32 words may start at any block. */
    private static final int TAIL = 16;

    private final WeightQuantization quantization;
    private final int rows;
    private final int cols;
    private final int blocksPerRow;
    private final short[] plus;
    private final short[] minus;
    private final float scale;

    private PackedMatrix(WeightQuantization quantization, int rows, int cols, short[] plus, short[] minus,
                         float scale) {
        this.quantization = quantization;
        this.rows = rows;
        this.cols = cols;
        this.blocksPerRow = blocksPerRow(cols);
        this.plus = plus;
        this.minus = minus;
        this.scale = scale;
    }

    /** Blocks of {@value #BLOCK_COLUMNS} columns per row for {@code cols} columns. */
    public static int blocksPerRow(int cols) {
        return (cols + BLOCK_COLUMNS - 1) / BLOCK_COLUMNS;
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
        int words = rows * blocksPerRow(cols) * BLOCK_LANES + TAIL;
        short[] plus = new short[words];
        short[] minus = quantization == WeightQuantization.TERNARY ? new short[words] : null;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int code = codes[r * cols + c];
                int word = wordOf(r, c, cols);
                short bit = bitOf(c);
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

    /** The index of the word holding W̃[r, c] in a plane of a matrix of {@code cols} columns. */
    private static int wordOf(int r, int c, int cols) {
        return (r * blocksPerRow(cols) + c / BLOCK_COLUMNS) * BLOCK_LANES + c % BLOCK_LANES;
    }

    /** The bit of column c in its word. */
    private static short bitOf(int c) {
        return (short) (1 << (BLOCK_LANES - 1 - c % BLOCK_COLUMNS / BLOCK_LANES));
    }

    /** The column that bit {@code bit} of word {@code word} of a row's plane stands for. */
    static int columnOf(int word, int bit) {
        return word / BLOCK_LANES * BLOCK_COLUMNS + (BLOCK_LANES - 1 - bit) * BLOCK_LANES + word % BLOCK_LANES;
    }

    /** The code W̃[r, c]. */
    public int code(int r, int c) {
        int word = wordOf(r, c, cols);
        short bit = bitOf(c);
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

    /** Blocks of {@value #BLOCK_COLUMNS} columns per row and plane. */
    public int blocksPerRow() {
        return blocksPerRow;
    }

    /** The per-tensor scale γ (ternary) or β (binary). */
    public float scale() {
        return scale;
    }

    /** The plus-plane, [rows, blocksPerRow, 16] words and 16 more; shared, not copied. */
    short[] plusPlane() {
        return plus;
    }

    /** The minus-plane of a ternary matrix, laid out as the plus-plane, or null for a binary one; shared. */
    short[] minusPlane() {
        return minus;
    }

    /** Bytes the packed weights occupy: the planes plus the 4-byte scale. */
    public long bytes() {
        return 2L * (plus.length + (minus == null ? 0 : minus.length)) + Float.BYTES;
    }
}
