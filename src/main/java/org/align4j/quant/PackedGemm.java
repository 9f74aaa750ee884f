package org.align4j.quant;

import java.util.Arrays;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.align4j.tensor.Parallel;

/**
 * The BitLinear inference product on packed weights: y[t, r] = (scale · s_x[t]) · Σ_c W̃[r, c] x̃[t, c] + b[r], with
 * W̃ a {@link PackedMatrix} and x̃ the int8 {@link QuantizedActivations} (BitNet b1.58, Ma et al. 2024, arXiv
 * 2402.17764, eq. 1-3; BitNet, Wang et al. 2023, arXiv 2310.11453, section 2.1). The integer sums use no
 * multiplication: from the bit-planes, W̃ · x̃ = Σ_plus x̃ − Σ_minus x̃ (ternary) or 2 Σ_plus x̃ − Σ x̃ (binary). With
 * one token this is the GEMV of generation, with many the GEMM of a prompt; either way the output rows are split
 * over {@link Parallel}'s threads, and a tile of rows' bit-planes stays in cache while the blocks of tokens pass.
 *
 * <p>The vector kernels add the int8 codes, widened to {@link ShortVector} lanes, under masks made from the plane's
 * bits (a mask register load where the ISA has mask registers, lanes of all ones or zeros ANDed with the codes
 * where it has not: {@link #addWhere}), four tokens of a GEMM sharing each mask; the short accumulators are
 * widened to int before they could overflow. The scalar twins walk the set bits one by one. Both compute the same
 * integers, so their results are bit-identical.
 */
public final class PackedGemm {
    private static final VectorSpecies<Short> SHORTS = ShortVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final int LANES = SHORTS.length();
    /** Output rows per parallel chunk at least, and per cache tile. */
    private static final int ROW_GRAIN = 16;
    /** Weight-times-token products per parallel chunk at least, so that small products are not split to waste. */
    private static final int CHUNK_WORK = 1 << 18;
    /** Tokens of a GEMM that share each row's masks. */
    private static final int TOKEN_BLOCK = 4;
    /** Weights of a GEMV that the calling thread multiplies alone. */
    private static final long GEMV_SERIAL_WEIGHTS = 3L << 20;
    /**
     * Words a short accumulator takes before it is widened: a lane gains at most 64 / LANES codes of magnitude ≤ 127
     * per word (a weight is +1 or −1, never both), so this many words cannot overflow a short.
     */
    private static final int FLUSH_WORDS = Short.MAX_VALUE / (QuantizedActivations.LEVELS * (64 / LANES));

    /**
     * Whether masks come straight from the bits ({@link VectorMask#fromLong}): only AVX-512 (32 short lanes) has mask
     * registers that a long moves into; elsewhere (AVX2, NEON, SSE) {@code fromLong} is not a single instruction, and
     * on AVX2 it measured slower than the float GEMV it is meant to beat.
     */
    private static final boolean MASK_REGISTERS = LANES == 32;
    /** Lane l holds the bit 1 << l (as a short: lane 15 is 0x8000). */
    private static final ShortVector LANE_BITS = laneBits();

    static {
        if (64 % LANES != 0 || INTS.length() * 2 != LANES) {
            throw new ExceptionInInitializerError("short vectors of " + LANES + " lanes do not fit the 64-bit words");
        }
    }

    private PackedGemm() {
    }

    /**
     * y[tokens, rows] = W̃ x̃ scaled by the weight's and each token's scale, plus {@code bias} [rows] when not null
     * (vector kernel).
     */
    public static void multiply(PackedMatrix w, QuantizedActivations x, float[] bias, float[] y) {
        if (x.tokens() == 1) {
            gemv(w, x, bias, y);
        } else {
            scale(w, x, bias, integerProducts(w, x), y);
        }
    }

    /**
     * The GEMV of generation, written straight into {@code y}: four rows at a time share each load of the token's
     * codes, and a row's short accumulator is folded to int lanes without a shape conversion. Products of up to
     * {@value #GEMV_SERIAL_WEIGHTS} weights run on the calling thread, since a fork/join round trip costs more than
     * they do; larger ones are split into one chunk per thread.
     */
    private static void gemv(PackedMatrix w, QuantizedActivations x, float[] bias, float[] y) {
        short[] codes = widen(w, x);
        boolean ternary = w.minusPlane() != null;
        int total = ternary ? 0 : tokenTotals(x)[0];
        float factor = w.scale() * x.scales()[0];
        int rows = w.rows();
        long weights = (long) rows * w.cols();
        int grain = weights <= GEMV_SERIAL_WEIGHTS ? rows
                : Math.max(ROW_GRAIN, Math.ceilDiv(rows, Parallel.threads() * ROW_GRAIN) * ROW_GRAIN);
        Parallel.range(Math.ceilDiv(rows, 4), Math.ceilDiv(grain, 4), (from, to) -> {
            int[] sums = new int[4];
            for (int quad = from; quad < to; quad++) {
                int r0 = quad * 4;
                int n = Math.min(4, rows - r0);
                rowSums(w, r0, n, codes, sums);
                for (int i = 0; i < n; i++) {
                    int product = ternary ? sums[i] : 2 * sums[i] - total;
                    y[r0 + i] = factor * product + (bias == null ? 0f : bias[r0 + i]);
                }
            }
        });
    }

    /**
     * Σ_plus x̃ − Σ_minus x̃ of rows r0 .. r0 + n (n ≤ 4; binary: Σ_plus x̃) for one token's widened codes {@code x}:
     * each load of x serves the n rows' masks.
     */
    private static void rowSums(PackedMatrix w, int r0, int n, short[] x, int[] sums) {
        long[] plus = w.plusPlane();
        long[] minus = w.minusPlane();
        int words = w.wordsPerRow();
        int b0 = r0 * words;
        int b1 = n > 1 ? b0 + words : b0;
        int b2 = n > 2 ? b1 + words : b0;
        int b3 = n > 3 ? b2 + words : b0;
        Arrays.fill(sums, 0);
        for (int start = 0; start < words; start += FLUSH_WORDS) {
            int end = Math.min(words, start + FLUSH_WORDS);
            ShortVector acc0 = ShortVector.zero(SHORTS);
            ShortVector acc1 = acc0;
            ShortVector acc2 = acc0;
            ShortVector acc3 = acc0;
            for (int word = start; word < end; word++) {
                long p0 = plus[b0 + word];
                long p1 = plus[b1 + word];
                long p2 = plus[b2 + word];
                long p3 = plus[b3 + word];
                long m0 = minus == null ? 0 : minus[b0 + word];
                long m1 = minus == null ? 0 : minus[b1 + word];
                long m2 = minus == null ? 0 : minus[b2 + word];
                long m3 = minus == null ? 0 : minus[b3 + word];
                int offset = word << 6;
                for (int j = 0; j < 64; j += LANES) {
                    ShortVector xv = ShortVector.fromArray(SHORTS, x, offset + j);
                    acc0 = addWhere(acc0, xv, p0, j);
                    acc1 = addWhere(acc1, xv, p1, j);
                    acc2 = addWhere(acc2, xv, p2, j);
                    acc3 = addWhere(acc3, xv, p3, j);
                    if (minus != null) {
                        acc0 = subtractWhere(acc0, xv, m0, j);
                        acc1 = subtractWhere(acc1, xv, m1, j);
                        acc2 = subtractWhere(acc2, xv, m2, j);
                        acc3 = subtractWhere(acc3, xv, m3, j);
                    }
                }
            }
            sums[0] += pairSum(acc0);
            sums[1] += pairSum(acc1);
            sums[2] += pairSum(acc2);
            sums[3] += pairSum(acc3);
        }
    }

    /** acc + x in the lanes whose bit is set in {@code word >>> shift} (bit l for lane l), acc elsewhere. */
    private static ShortVector addWhere(ShortVector acc, ShortVector x, long word, int shift) {
        if (MASK_REGISTERS) {
            return acc.add(x, VectorMask.fromLong(SHORTS, word >>> shift));
        }
        return acc.add(x, selected(word, shift));
    }

    /** acc − x in the lanes whose bit is set in {@code word >>> shift}, acc elsewhere. */
    private static ShortVector subtractWhere(ShortVector acc, ShortVector x, long word, int shift) {
        if (MASK_REGISTERS) {
            return acc.sub(x, VectorMask.fromLong(SHORTS, word >>> shift));
        }
        return acc.add(x.neg(), selected(word, shift));
    }

    /**
     * −1 (all bits) in the lanes whose bit is set in {@code word >>> shift}, 0 elsewhere: a broadcast, an AND with
     * each lane's bit and a compare, which AVX2 and NEON run as plain vector instructions.
     */
    private static VectorMask<Short> selected(long word, int shift) {
        ShortVector bits = ShortVector.broadcast(SHORTS, (short) (word >>> shift)).and(LANE_BITS);
        return bits.compare(VectorOperators.EQ, LANE_BITS);
    }

    private static ShortVector laneBits() {
        short[] bits = new short[LANES];
        for (int lane = 0; lane < LANES; lane++) {
            bits[lane] = (short) (1 << lane);
        }
        return ShortVector.fromArray(SHORTS, bits, 0);
    }

    /**
     * The sum of a short vector's lanes: viewed as int lanes, each holds two shorts, the high one recovered by an
     * arithmetic shift and the low one by shifting it up and back; their int sum cannot wrap.
     */
    private static int pairSum(ShortVector acc) {
        IntVector pairs = acc.reinterpretAsInts();
        IntVector high = pairs.lanewise(VectorOperators.ASHR, 16);
        IntVector low = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16);
        return high.add(low).reduceLanes(VectorOperators.ADD);
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
        short[] widened = widen(w, x);
        boolean ternary = w.minusPlane() != null;
        int[] totals = ternary ? null : tokenTotals(x);
        int tokens = x.tokens();
        int rows = w.rows();
        int stride = w.wordsPerRow() * 64;
        int[] products = new int[tokens * rows];
        int grain = Math.max(ROW_GRAIN, CHUNK_WORK / Math.max(1, stride * tokens));
        Parallel.range(rows, grain, (from, to) -> {
            int[] block = new int[TOKEN_BLOCK];
            // a tile of rows meets each block of tokens in turn, so that both stay in cache
            for (int tile = from; tile < to; tile += ROW_GRAIN) {
                int tileEnd = Math.min(to, tile + ROW_GRAIN);
                int t = 0;
                for (; t + TOKEN_BLOCK <= tokens; t += TOKEN_BLOCK) {
                    for (int r = tile; r < tileEnd; r++) {
                        signedSums4(w, r, widened, t * stride, stride, block);
                        for (int i = 0; i < TOKEN_BLOCK; i++) {
                            products[(t + i) * rows + r] = ternary ? block[i] : 2 * block[i] - totals[t + i];
                        }
                    }
                }
                for (; t < tokens; t++) {
                    for (int r = tile; r < tileEnd; r++) {
                        int sum = signedSum(w, r, widened, t * stride);
                        products[t * rows + r] = ternary ? sum : 2 * sum - totals[t];
                    }
                }
            }
        });
        return products;
    }

    /**
     * Σ_plus x̃ − Σ_minus x̃ of row r and one token (binary matrices have no minus-plane: Σ_plus x̃), in short lanes
     * widened to int every {@link #FLUSH_WORDS} words.
     */
    private static int signedSum(PackedMatrix w, int r, short[] x, int base) {
        long[] plus = w.plusPlane();
        long[] minus = w.minusPlane();
        int wordBase = r * w.wordsPerRow();
        int sum = 0;
        for (int start = 0; start < w.wordsPerRow(); start += FLUSH_WORDS) {
            int end = Math.min(w.wordsPerRow(), start + FLUSH_WORDS);
            ShortVector acc = ShortVector.zero(SHORTS);
            for (int word = start; word < end; word++) {
                long p = plus[wordBase + word];
                long m = minus == null ? 0 : minus[wordBase + word];
                if ((p | m) == 0) {
                    continue;
                }
                int offset = base + (word << 6);
                for (int j = 0; j < 64; j += LANES) {
                    ShortVector xv = ShortVector.fromArray(SHORTS, x, offset + j);
                    acc = addWhere(acc, xv, p, j);
                    if (minus != null) {
                        acc = subtractWhere(acc, xv, m, j);
                    }
                }
            }
            sum += widenedSum(acc);
        }
        return sum;
    }

    /** {@link #signedSum} of row r for {@value #TOKEN_BLOCK} consecutive tokens, the masks made once for all four. */
    private static void signedSums4(PackedMatrix w, int r, short[] x, int base, int stride, int[] sums) {
        long[] plus = w.plusPlane();
        long[] minus = w.minusPlane();
        int wordBase = r * w.wordsPerRow();
        Arrays.fill(sums, 0);
        for (int start = 0; start < w.wordsPerRow(); start += FLUSH_WORDS) {
            int end = Math.min(w.wordsPerRow(), start + FLUSH_WORDS);
            ShortVector acc0 = ShortVector.zero(SHORTS);
            ShortVector acc1 = acc0;
            ShortVector acc2 = acc0;
            ShortVector acc3 = acc0;
            for (int word = start; word < end; word++) {
                long p = plus[wordBase + word];
                long m = minus == null ? 0 : minus[wordBase + word];
                if ((p | m) == 0) {
                    continue;
                }
                int offset = base + (word << 6);
                for (int j = 0; j < 64; j += LANES) {
                    ShortVector x0 = ShortVector.fromArray(SHORTS, x, offset + j);
                    ShortVector x1 = ShortVector.fromArray(SHORTS, x, offset + stride + j);
                    ShortVector x2 = ShortVector.fromArray(SHORTS, x, offset + 2 * stride + j);
                    ShortVector x3 = ShortVector.fromArray(SHORTS, x, offset + 3 * stride + j);
                    acc0 = addWhere(acc0, x0, p, j);
                    acc1 = addWhere(acc1, x1, p, j);
                    acc2 = addWhere(acc2, x2, p, j);
                    acc3 = addWhere(acc3, x3, p, j);
                    if (minus != null) {
                        acc0 = subtractWhere(acc0, x0, m, j);
                        acc1 = subtractWhere(acc1, x1, m, j);
                        acc2 = subtractWhere(acc2, x2, m, j);
                        acc3 = subtractWhere(acc3, x3, m, j);
                    }
                }
            }
            sums[0] += widenedSum(acc0);
            sums[1] += widenedSum(acc1);
            sums[2] += widenedSum(acc2);
            sums[3] += widenedSum(acc3);
        }
    }

    /** The sum of a short vector's lanes, widened to int lanes first so that it cannot wrap. */
    private static int widenedSum(ShortVector acc) {
        int sum = 0;
        for (int part = 0; part < 2; part++) {
            sum += ((IntVector) acc.convertShape(VectorOperators.S2I, INTS, part)).reduceLanes(VectorOperators.ADD);
        }
        return sum;
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

    /** The codes as shorts, each token padded with zeros to whole 64-column words. */
    private static short[] widen(PackedMatrix w, QuantizedActivations x) {
        check(w, x);
        int padded = w.wordsPerRow() * 64;
        short[] widened = new short[x.tokens() * padded];
        for (int t = 0; t < x.tokens(); t++) {
            for (int c = 0; c < x.width(); c++) {
                widened[t * padded + c] = x.codes()[t * x.width() + c];
            }
        }
        return widened;
    }

    /** Σ x̃ of each token. */
    private static int[] tokenTotals(QuantizedActivations x) {
        int[] totals = new int[x.tokens()];
        for (int t = 0; t < x.tokens(); t++) {
            int sum = 0;
            for (int c = 0; c < x.width(); c++) {
                sum += x.codes()[t * x.width() + c];
            }
            totals[t] = sum;
        }
        return totals;
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
