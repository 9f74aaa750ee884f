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
 * over {@link Parallel}'s threads.
 *
 * <p>The vector kernels read a vector of plane words (one block of {@link PackedMatrix} with 16 short lanes, half of
 * one with 8, two with 32) and run its 16 steps: in step s a lane's mask is the sign of its word (the bit of step s,
 * the word having been doubled s times), and the int8 codes of the step's columns, widened to short lanes and laid
 * out in the planes' lane order once per call, are added (plus-plane) or subtracted (minus-plane) under the masks.
 * Where the ISA has mask registers (AVX-512) the add is masked; elsewhere (AVX2, NEON) the codes are blended with
 * zero first, since a masked add there is an add and a blend and a mask turned into a vector costs three
 * instructions. A GEMV takes one row per pass, or two sharing each load of the codes where there are 32 vector
 * registers; a GEMM takes four tokens per row, sharing each mask. The short accumulators are widened to int before they could overflow. The scalar twins walk
 * the set bits one by one. Both compute the same integers, so their results are bit-identical.
 */
public final class PackedGemm {
    private static final VectorSpecies<Short> SHORTS = ShortVector.SPECIES_PREFERRED;
    private static final int LANES = SHORTS.length();
    private static final int STEPS = PackedMatrix.BLOCK_LANES;
    /**
     * Whether a GEMV takes rows two at a time, which needs 32 vector registers (AVX-512, AArch64); with 16 (AVX2) the
     * pair's planes, masks and accumulators spill, and one row at a time ran 15% faster.
     */
    private static final boolean PAIRED_ROWS = LANES == 32 || "aarch64".equals(System.getProperty("os.arch"));
    /** Whether a masked add is one instruction (AVX-512's mask registers: 32 short lanes). */
    private static final boolean MASK_REGISTERS = LANES == 32;
    /*
     * The kernels make their zero vector themselves: a vector from a static final field, merged into a loop's
     * accumulator, made C2 allocate a box for every vector of the loop (ten times slower).
     */
    /** Tokens of a GEMM that share each row's masks. */
    private static final int TOKEN_BLOCK = 4;
    /** Weight-times-token products per parallel chunk at least, so that small products are not split to waste. */
    private static final int CHUNK_WORK = 1 << 16;
    /**
     * Vectors of plane words a short accumulator takes before it is widened: a lane gains at most 16 codes of
     * magnitude ≤ 127 per vector (a weight is +1 or −1, never both), so this many vectors cannot overflow a short.
     */
    private static final int FLUSH_VECTORS = Short.MAX_VALUE / (STEPS * QuantizedActivations.LEVELS);

    static {
        if (LANES % 8 != 0 || LANES > 32) {
            throw new ExceptionInInitializerError("short vectors of " + LANES + " lanes do not fit the plane blocks");
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
        short[] codes = laneOrdered(w, x);
        int stride = vectorsPerRow(w) * STEPS * LANES;
        int[] totals = w.minusPlane() != null ? null : tokenTotals(x);
        int tokens = x.tokens();
        int rows = w.rows();
        int[] products = new int[tokens * rows];
        if (tokens == 1 && !PAIRED_ROWS) {
            Parallel.range(rows, Math.max(1, CHUNK_WORK / stride), (from, to) -> {
                for (int r = from; r < to; r++) {
                    int sum = rowSum(w, r, codes);
                    products[r] = product(sum, totals, 0);
                }
            });
            return products;
        }
        if (tokens == 1) {
            int pairs = Math.ceilDiv(rows, 2);
            Parallel.range(pairs, Math.max(1, CHUNK_WORK / (2 * stride)), (from, to) -> {
                int[] sums = new int[2];
                for (int pair = from; pair < to; pair++) {
                    int r = 2 * pair;
                    boolean two = r + 1 < rows;
                    rowPairSums(w, r, two, codes, sums);
                    products[r] = product(sums[0], totals, 0);
                    if (two) {
                        products[r + 1] = product(sums[1], totals, 0);
                    }
                }
            });
            return products;
        }
        Parallel.range(rows, Math.max(1, CHUNK_WORK / (stride * tokens)), (from, to) -> {
            int[] sums = new int[TOKEN_BLOCK];
            for (int r = from; r < to; r++) {
                for (int t = 0; t < tokens; t += TOKEN_BLOCK) {
                    int count = Math.min(TOKEN_BLOCK, tokens - t);
                    tokenQuadSums(w, r, codes, t * stride, stride, count, sums);
                    for (int i = 0; i < count; i++) {
                        products[(t + i) * rows + r] = product(sums[i], totals, t + i);
                    }
                }
            }
        });
        return products;
    }

    /**
     * W̃ · x̃ of a token from its plane sum: the sum itself for a ternary matrix ({@code totals} null), 2 Σ_plus x̃ − Σ x̃
     * for a binary one.
     */
    private static int product(int planeSum, int[] totals, int token) {
        return totals == null ? planeSum : 2 * planeSum - totals[token];
    }

    /** Vectors of plane words per row (the last may reach into the next row: its codes are zero). */
    private static int vectorsPerRow(PackedMatrix w) {
        return Math.ceilDiv(w.blocksPerRow() * PackedMatrix.BLOCK_LANES, LANES);
    }

    /**
     * Σ_plus x̃ − Σ_minus x̃ (binary: Σ_plus x̃) of rows r and r + 1 ({@code two}; else row r twice, the second not
     * used) for one token's lane-ordered codes {@code x}: each load of x serves both rows.
     */
    private static void rowPairSums(PackedMatrix w, int r, boolean two, short[] x, int[] sums) {
        short[] plus = w.plusPlane();
        short[] minus = w.minusPlane();
        int rowWords = w.blocksPerRow() * PackedMatrix.BLOCK_LANES;
        int base0 = r * rowWords;
        int base1 = two ? base0 + rowWords : base0;
        int vectors = vectorsPerRow(w);
        ShortVector zero = ShortVector.zero(SHORTS);
        sums[0] = 0;
        sums[1] = 0;
        for (int start = 0; start < vectors; start += FLUSH_VECTORS) {
            int end = Math.min(vectors, start + FLUSH_VECTORS);
            ShortVector acc0 = zero;
            ShortVector acc1 = zero;
            for (int v = start; v < end; v++) {
                int at = v * LANES;
                int xAt = v * STEPS * LANES;
                ShortVector p0 = ShortVector.fromArray(SHORTS, plus, base0 + at);
                ShortVector p1 = ShortVector.fromArray(SHORTS, plus, base1 + at);
                if (minus == null) {
                    for (int s = 0; s < STEPS; s++) {
                        ShortVector xv = ShortVector.fromArray(SHORTS, x, xAt + s * LANES);
                        acc0 = addWhere(acc0, xv, zero, p0.compare(VectorOperators.LT, zero));
                        acc1 = addWhere(acc1, xv, zero, p1.compare(VectorOperators.LT, zero));
                        p0 = p0.add(p0);
                        p1 = p1.add(p1);
                    }
                } else {
                    ShortVector m0 = ShortVector.fromArray(SHORTS, minus, base0 + at);
                    ShortVector m1 = ShortVector.fromArray(SHORTS, minus, base1 + at);
                    for (int s = 0; s < STEPS; s++) {
                        ShortVector xv = ShortVector.fromArray(SHORTS, x, xAt + s * LANES);
                        acc0 = subtractWhere(addWhere(acc0, xv, zero, p0.compare(VectorOperators.LT, zero)), xv,
                                zero, m0.compare(VectorOperators.LT, zero));
                        acc1 = subtractWhere(addWhere(acc1, xv, zero, p1.compare(VectorOperators.LT, zero)), xv,
                                zero, m1.compare(VectorOperators.LT, zero));
                        p0 = p0.add(p0);
                        p1 = p1.add(p1);
                        m0 = m0.add(m0);
                        m1 = m1.add(m1);
                    }
                }
            }
            sums[0] += pairSum(acc0);
            sums[1] += pairSum(acc1);
        }
    }

    /**
     * {@link #rowPairSums} of row r for {@code count} ≤ {@value #TOKEN_BLOCK} tokens whose lane-ordered codes start
     * at {@code base}, {@code stride} apart, each mask made once for all of them (tokens past count repeat the
     * first and are not used).
     */
    private static void tokenQuadSums(PackedMatrix w, int r, short[] x, int base, int stride, int count,
                                      int[] sums) {
        short[] plus = w.plusPlane();
        short[] minus = w.minusPlane();
        int rowBase = r * w.blocksPerRow() * PackedMatrix.BLOCK_LANES;
        int x0 = base;
        int x1 = count > 1 ? base + stride : base;
        int x2 = count > 2 ? base + 2 * stride : base;
        int x3 = count > 3 ? base + 3 * stride : base;
        int vectors = vectorsPerRow(w);
        ShortVector zero = ShortVector.zero(SHORTS);
        Arrays.fill(sums, 0);
        for (int start = 0; start < vectors; start += FLUSH_VECTORS) {
            int end = Math.min(vectors, start + FLUSH_VECTORS);
            ShortVector acc0 = zero;
            ShortVector acc1 = zero;
            ShortVector acc2 = zero;
            ShortVector acc3 = zero;
            for (int v = start; v < end; v++) {
                int xAt = v * STEPS * LANES;
                ShortVector p = ShortVector.fromArray(SHORTS, plus, rowBase + v * LANES);
                ShortVector m = minus == null ? zero : ShortVector.fromArray(SHORTS, minus, rowBase + v * LANES);
                for (int s = 0; s < STEPS; s++) {
                    int at = xAt + s * LANES;
                    VectorMask<Short> mp = p.compare(VectorOperators.LT, zero);
                    ShortVector xv0 = ShortVector.fromArray(SHORTS, x, x0 + at);
                    ShortVector xv1 = ShortVector.fromArray(SHORTS, x, x1 + at);
                    ShortVector xv2 = ShortVector.fromArray(SHORTS, x, x2 + at);
                    ShortVector xv3 = ShortVector.fromArray(SHORTS, x, x3 + at);
                    acc0 = addWhere(acc0, xv0, zero, mp);
                    acc1 = addWhere(acc1, xv1, zero, mp);
                    acc2 = addWhere(acc2, xv2, zero, mp);
                    acc3 = addWhere(acc3, xv3, zero, mp);
                    if (minus != null) {
                        VectorMask<Short> mm = m.compare(VectorOperators.LT, zero);
                        acc0 = subtractWhere(acc0, xv0, zero, mm);
                        acc1 = subtractWhere(acc1, xv1, zero, mm);
                        acc2 = subtractWhere(acc2, xv2, zero, mm);
                        acc3 = subtractWhere(acc3, xv3, zero, mm);
                        m = m.add(m);
                    }
                    p = p.add(p);
                }
            }
            sums[0] += pairSum(acc0);
            sums[1] += pairSum(acc1);
            sums[2] += pairSum(acc2);
            sums[3] += pairSum(acc3);
        }
    }

    /** Σ_plus x̃ − Σ_minus x̃ (binary: Σ_plus x̃) of row r for one token's lane-ordered codes {@code x}. */
    private static int rowSum(PackedMatrix w, int r, short[] x) {
        short[] plus = w.plusPlane();
        short[] minus = w.minusPlane();
        int base = r * w.blocksPerRow() * PackedMatrix.BLOCK_LANES;
        int vectors = vectorsPerRow(w);
        ShortVector zero = ShortVector.zero(SHORTS);
        int sum = 0;
        for (int start = 0; start < vectors; start += FLUSH_VECTORS) {
            int end = Math.min(vectors, start + FLUSH_VECTORS);
            ShortVector acc = zero;
            for (int v = start; v < end; v++) {
                int xAt = v * STEPS * LANES;
                ShortVector p = ShortVector.fromArray(SHORTS, plus, base + v * LANES);
                if (minus == null) {
                    for (int s = 0; s < STEPS; s++) {
                        acc = addWhere(acc, ShortVector.fromArray(SHORTS, x, xAt + s * LANES), zero,
                                p.compare(VectorOperators.LT, zero));
                        p = p.add(p);
                    }
                } else {
                    ShortVector m = ShortVector.fromArray(SHORTS, minus, base + v * LANES);
                    for (int s = 0; s < STEPS; s++) {
                        ShortVector xv = ShortVector.fromArray(SHORTS, x, xAt + s * LANES);
                        acc = subtractWhere(addWhere(acc, xv, zero, p.compare(VectorOperators.LT, zero)), xv, zero,
                                m.compare(VectorOperators.LT, zero));
                        p = p.add(p);
                        m = m.add(m);
                    }
                }
            }
            sum += pairSum(acc);
        }
        return sum;
    }

    /** acc + x in the lanes of {@code mask}, acc elsewhere ({@code zero}: the zero vector). */
    private static ShortVector addWhere(ShortVector acc, ShortVector x, ShortVector zero, VectorMask<Short> mask) {
        return MASK_REGISTERS ? acc.add(x, mask) : acc.add(zero.blend(x, mask));
    }

    /** acc − x in the lanes of {@code mask}, acc elsewhere ({@code zero}: the zero vector). */
    private static ShortVector subtractWhere(ShortVector acc, ShortVector x, ShortVector zero,
                                             VectorMask<Short> mask) {
        return MASK_REGISTERS ? acc.sub(x, mask) : acc.sub(zero.blend(x, mask));
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

    /**
     * The codes as shorts in the planes' lane order, one run of {@code vectorsPerRow · 16 · LANES} per token: entry
     * {@code (v · 16 + s) · LANES + l} is the code of the column that lane l of plane vector v meets in step s (0 past
     * the last column), so that each step loads LANES consecutive codes.
     */
    private static short[] laneOrdered(PackedMatrix w, QuantizedActivations x) {
        check(w, x);
        int stride = vectorsPerRow(w) * STEPS * LANES;
        int cols = x.width();
        byte[] codes = x.codes();
        short[] ordered = new short[x.tokens() * stride];
        for (int t = 0; t < x.tokens(); t++) {
            for (int column = 0; column < cols; column++) {
                // column = 256 b + 16 s + l is word 16 b + l of the row, step s
                int word = column / PackedMatrix.BLOCK_COLUMNS * PackedMatrix.BLOCK_LANES + column % STEPS;
                int step = column % PackedMatrix.BLOCK_COLUMNS / STEPS;
                ordered[t * stride + (word / LANES * STEPS + step) * LANES + word % LANES] = codes[t * cols + column];
            }
        }
        return ordered;
    }

    /** The scalar twin of {@link #integerProducts}: one row and token at a time, walking each word's set bits. */
    public static int[] integerProductsScalar(PackedMatrix w, QuantizedActivations x) {
        check(w, x);
        int[] products = new int[x.tokens() * w.rows()];
        short[] plus = w.plusPlane();
        short[] minus = w.minusPlane();
        int words = w.blocksPerRow() * PackedMatrix.BLOCK_LANES;
        int[] valid = new int[words];
        for (int word = 0; word < words; word++) {
            valid[word] = validBits(w.cols(), word);
        }
        for (int r = 0; r < w.rows(); r++) {
            for (int t = 0; t < x.tokens(); t++) {
                int base = t * x.width();
                int sum = 0;
                for (int word = 0; word < words; word++) {
                    int p = plus[r * words + word] & 0xFFFF;
                    sum += setBitSum(p, word, x.codes(), base);
                    int negative = minus == null ? ~p & valid[word] : minus[r * words + word] & 0xFFFF;
                    sum -= setBitSum(negative, word, x.codes(), base);
                }
                products[t * w.rows() + r] = sum;
            }
        }
        return products;
    }

    /** Σ of the codes of the columns whose bits are set in {@code bits} of plane word {@code word}. */
    private static int setBitSum(int bits, int word, byte[] codes, int base) {
        int sum = 0;
        for (int rest = bits; rest != 0; rest &= rest - 1) {
            sum += codes[base + PackedMatrix.columnOf(word, Integer.numberOfTrailingZeros(rest))];
        }
        return sum;
    }

    /** The bits of plane word {@code word} whose columns exist. */
    private static int validBits(int cols, int word) {
        int valid = 0;
        for (int bit = 0; bit < STEPS; bit++) {
            if (PackedMatrix.columnOf(word, bit) < cols) {
                valid |= 1 << bit;
            }
        }
        return valid;
    }

    private static void check(PackedMatrix w, QuantizedActivations x) {
        if (x.width() != w.cols()) {
            throw new IllegalArgumentException("activations of width " + x.width() + " for a matrix of "
                    + w.cols() + " columns");
        }
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
