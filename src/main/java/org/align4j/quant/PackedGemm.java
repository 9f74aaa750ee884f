package org.align4j.quant;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.align4j.tensor.Parallel;

/**
 * The BitLinear inference product on packed weights: y[t, r] = (scale · s_x[t]) · Σ_c W̃[r, c] x̃[t, c] + b[r], with
 * W̃ a {@link PackedMatrix} and x̃ the int8 {@link QuantizedActivations} (BitNet b1.58, Ma et al. 2024, arXiv
 * 2402.17764, eq. 1-3; BitNet, Wang et al. 2023, arXiv 2310.11453, eq. 11). The integer sums use no multiplication:
 * from the bit-planes, W̃ · x̃ = Σ_plus x̃ − Σ_minus x̃ (ternary) or 2 Σ_plus x̃ − Σ x̃ (binary). With one token this
 * is the GEMV of generation, with many the GEMM of a prompt; either way the output rows are split over
 * {@link Parallel}'s threads, each row's bit-planes read once for all tokens.
 *
 * <p>The vector kernels add the activations as {@link IntVector} lanes under masks taken straight from the plane's
 * bits ({@link VectorMask#fromLong}); the scalar twins walk the set bits one by one. Both compute the same integers,
 * so their results are bit-identical.
 */
public final class PackedGemm {
    private static final VectorSpecies<Integer> SPECIES = IntVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /** Output rows per parallel chunk. */
    private static final int ROW_GRAIN = 16;

    static {
        if (64 % LANES != 0) {
            throw new ExceptionInInitializerError("int vectors of " + LANES + " lanes do not divide a 64-bit word");
        }
    }

    private PackedGemm() {
    }

    /**
     * y[tokens, rows] = W̃ x̃ scaled by the weight's and each token's scale, plus {@code bias} [rows] when not null
     * (vector kernel).
     */
    public static void multiply(PackedMatrix w, QuantizedActivations x, float[] bias, float[] y) {
        scale(w, x, bias, integerProducts(w, x), y);
    }

    /** The scalar twin of {@link #multiply}. */
    public static void multiplyScalar(PackedMatrix w, QuantizedActivations x, float[] bias, float[] y) {
        scale(w, x, bias, integerProductsScalar(w, x), y);
    }

    /** The GEMV of one token: y[rows] = {@link #multiply} of a single row of activations. */
    public static float[] multiplyVector(PackedMatrix w, QuantizedActivations x, float[] bias) {
        if (x.tokens() != 1) {
            throw new IllegalArgumentException("GEMV of " + x.tokens() + " tokens");
        }
        float[] y = new float[w.rows()];
        multiply(w, x, bias, y);
        return y;
    }

    /** The integer products Σ_c W̃[r, c] x̃[t, c] as [tokens, rows] (vector kernel). */
    public static int[] integerProducts(PackedMatrix w, QuantizedActivations x) {
        int[] widened = widen(w, x);
        int[] totals = w.minusPlane() == null ? tokenTotals(widened, x.tokens(), w.wordsPerRow()) : null;
        int[] products = new int[x.tokens() * w.rows()];
        Parallel.range(w.rows(), ROW_GRAIN, (from, to) -> {
            for (int r = from; r < to; r++) {
                for (int t = 0; t < x.tokens(); t++) {
                    int base = t * w.wordsPerRow() * 64;
                    products[t * w.rows() + r] = totals == null
                            ? ternaryDot(w.plusPlane(), w.minusPlane(), r * w.wordsPerRow(), w.wordsPerRow(),
                                    widened, base)
                            : 2 * plusSum(w.plusPlane(), r * w.wordsPerRow(), w.wordsPerRow(), widened, base)
                                    - totals[t];
                }
            }
        });
        return products;
    }

    /** The scalar twin of {@link #integerProducts}: one row at a time, walking each word's set bits. */
    public static int[] integerProductsScalar(PackedMatrix w, QuantizedActivations x) {
        check(w, x);
        int[] products = new int[x.tokens() * w.rows()];
        long[] plus = w.plusPlane();
        long[] minus = w.minusPlane();
        for (int r = 0; r < w.rows(); r++) {
            for (int t = 0; t < x.tokens(); t++) {
                int base = t * x.width();
                int sum = 0;
                for (int word = 0; word < w.wordsPerRow(); word++) {
                    int column = word << 6;
                    sum += setBitSum(plus[r * w.wordsPerRow() + word], x.codes(), base + column);
                    long negative = minus == null ? ~plus[r * w.wordsPerRow() + word] & validBits(w.cols(), column)
                            : minus[r * w.wordsPerRow() + word];
                    sum -= setBitSum(negative, x.codes(), base + column);
                }
                products[t * w.rows() + r] = sum;
            }
        }
        return products;
    }

    private static int setBitSum(long bits, byte[] codes, int offset) {
        int sum = 0;
        for (long rest = bits; rest != 0; rest &= rest - 1) {
            sum += codes[offset + Long.numberOfTrailingZeros(rest)];
        }
        return sum;
    }

    /** The bits of the columns that exist in the word starting at {@code column}. */
    private static long validBits(int cols, int column) {
        int valid = cols - column;
        return valid >= 64 ? -1L : (1L << valid) - 1;
    }

    private static void check(PackedMatrix w, QuantizedActivations x) {
        if (x.width() != w.cols()) {
            throw new IllegalArgumentException("activations of width " + x.width() + " for a matrix of "
                    + w.cols() + " columns");
        }
    }

    /** The codes as ints, each token padded with zeros to whole 64-column words. */
    private static int[] widen(PackedMatrix w, QuantizedActivations x) {
        check(w, x);
        int padded = w.wordsPerRow() * 64;
        int[] widened = new int[x.tokens() * padded];
        for (int t = 0; t < x.tokens(); t++) {
            for (int c = 0; c < x.width(); c++) {
                widened[t * padded + c] = x.codes()[t * x.width() + c];
            }
        }
        return widened;
    }

    private static int[] tokenTotals(int[] widened, int tokens, int words) {
        int padded = words * 64;
        int[] totals = new int[tokens];
        for (int t = 0; t < tokens; t++) {
            int sum = 0;
            for (int c = 0; c < padded; c++) {
                sum += widened[t * padded + c];
            }
            totals[t] = sum;
        }
        return totals;
    }

    private static int ternaryDot(long[] plus, long[] minus, int wordBase, int words, int[] x, int xBase) {
        IntVector acc = IntVector.zero(SPECIES);
        for (int word = 0; word < words; word++) {
            long p = plus[wordBase + word];
            long m = minus[wordBase + word];
            if ((p | m) == 0) {
                continue;
            }
            int offset = xBase + (word << 6);
            for (int j = 0; j < 64; j += LANES) {
                IntVector xv = IntVector.fromArray(SPECIES, x, offset + j);
                acc = acc.add(xv, VectorMask.fromLong(SPECIES, p >>> j)).sub(xv, VectorMask.fromLong(SPECIES, m >>> j));
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static int plusSum(long[] plus, int wordBase, int words, int[] x, int xBase) {
        IntVector acc = IntVector.zero(SPECIES);
        for (int word = 0; word < words; word++) {
            long p = plus[wordBase + word];
            if (p == 0) {
                continue;
            }
            int offset = xBase + (word << 6);
            for (int j = 0; j < 64; j += LANES) {
                acc = acc.add(IntVector.fromArray(SPECIES, x, offset + j), VectorMask.fromLong(SPECIES, p >>> j));
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static void scale(PackedMatrix w, QuantizedActivations x, float[] bias, int[] products, float[] y) {
        for (int t = 0; t < x.tokens(); t++) {
            float factor = w.scale() * x.scales()[t];
            for (int r = 0; r < w.rows(); r++) {
                y[t * w.rows() + r] = factor * products[t * w.rows() + r] + (bias == null ? 0f : bias[r]);
            }
        }
    }
}
