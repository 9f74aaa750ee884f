package org.align4j.tensor.cpu;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicIntegerArray;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import org.align4j.tensor.BFloat16;
import org.align4j.tensor.Parallel;

/**
 * Single-precision matrix multiply (GEMM) on row-major, contiguous {@code float[]} storage: the three layouts the
 * engine needs ({@code nn}: A·B, {@code nt}: A·Bᵀ, {@code tn}: Aᵀ·B), each overwriting or accumulating into C.
 *
 * <p>The vector kernels ({@code jdk.incubator.vector}, preferred species) follow the classic blocked design (as
 * BLIS and OpenBLAS do): a register-blocked micro-kernel keeps a tile of C in registers while it runs fused
 * multiply-adds along k, reading A and B from buffers packed to match it (B in column panels as wide as the tile, A in
 * panels as tall as it, one k-block at a time) so that its loads are contiguous and stay in L1/L2. The tile is chosen
 * from the vector width and the register file ({@link #registerTile}): 8 rows x 3 vectors where there are 32
 * registers (AVX-512, AArch64), 4 rows x 2 vectors where there are 16 (AVX2, SSE). Packing transposes use 16-lane
 * butterflies on AVX-512 and 4 x 4 transposes of 128-bit vectors elsewhere. Disjoint blocks of C run on
 * {@link Parallel#range}. Very thin problems (a few rows or a few columns) skip packing and use streaming row,
 * column or dot-product kernels instead, and small problems stay on the calling thread.
 *
 * <p>Determinism: every element of C is written by one thread, and its arithmetic depends only on the shape, never
 * on the thread count or on how the work was split. In the packed and column kernels each element is one chain of
 * fused multiply-adds in increasing k order that starts from C (when accumulating) or zero; the row kernel (few rows
 * of A, in {@code nn} and {@code tn}) runs one such chain per slab of 64 k-steps and adds the later slabs' sums to the
 * first's in k order. Both are the same at every vector width and tile. The dot-product kernels (used by {@code nt} with few rows or few
 * columns, and {@code nn} with few columns) sum per-lane partial dots (two accumulators of one vector each) in a fixed
 * order and then add them to C: their rounding depends on the number of lanes, so these results change, within float
 * rounding, between vector widths (AVX-512, AVX2, 128-bit), never between runs or thread counts on one machine.
 *
 * <p>B may be stored as bfloat16 (frozen weights, {@link org.align4j.tensor.Tensor#toBfloat16}) in {@code nn} and
 * {@code nt}: B's elements are widened to float32 where the kernels load them (packing, the row-streaming and
 * dot-product kernels), and everything else is as for float32. The result is bit for bit the float32 GEMM's on B's
 * widened values, on every path.
 *
 * <p>The {@code ...Scalar} methods are plain triple loops with float accumulation in k order; they are the reference
 * that the scalar backend and the tests use.
 */
public final class Gemm {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /**
     * Whether the register tile is 8 rows by 3 vectors (24 accumulators, 3 B vectors and a broadcast: 28 registers),
     * for machines with 32 vector registers: AVX-512 (16 float lanes) and AArch64 (NEON/SVE). Otherwise (x86 with
     * AVX2 or SSE: 16 registers) the tile is 4 rows by 2 vectors: 8 accumulators, 2 B vectors and up to 4 broadcasts.
     * (A 6 x 2 tile needs 15 registers, and C2 schedules 3 broadcasts ahead, spilling an accumulator to the stack
     * every iteration: on one AVX2 core, data in L1, it ran at 43 GFLOP/s against 80 for this 4 x 2 tile.)
     */
    private static final boolean WIDE_TILE = LANES >= 16 || "aarch64".equals(System.getProperty("os.arch"));
    /** Rows of C in the micro-kernel's register tile. */
    private static final int MR = WIDE_TILE ? 8 : 4;
    /** Vectors per row of C in the micro-kernel's register tile. */
    private static final int NR_VECTORS = WIDE_TILE ? 3 : 2;
    /** Four floats: the pieces in which a contiguous depth of an A panel is copied (128 bits exist on every ISA). */
    private static final VectorSpecies<Float> QUAD = FloatVector.SPECIES_128;
    /** Columns of C in the micro-kernel's register tile. */
    private static final int NR = NR_VECTORS * LANES;
    /** Depth of one packed k-block: a B panel (KC x NR) is reused from L1/L2 across the A panels of a task. */
    private static final int KC = 256;
    /** Most rows of A packed at once by one task (the packed A block, MC x KC, stays in L2). */
    private static final int MC_MAX = 192;
    /** Most floats of packed B per column block (k x NC); bounds the shared packing buffer. */
    private static final int PACKED_B_FLOATS = 1 << 22;
    /** Problems with at most this many rows use the unpacked row (or dot-product) kernels. */
    private static final int THIN_ROWS = 4;
    /**
     * Rows of B per slab in the few-rows kernel ({@link #rowStrips}): the k-steps of one fma chain before its partial
     * sum is added to C. A slab of a 768-column float32 B is 192 KiB of contiguous reads.
     */
    private static final int ROW_SLAB = 64;
    /** Problems with at most this many columns use the unpacked column (or dot-product) kernels. */
    private static final int THIN_COLUMNS = 8;
    /** Problems with fewer multiply-adds than this run on the calling thread. */
    private static final long PARALLEL_MIN_FMAS = 1L << 17;
    /** Target number of multiply-adds per parallel chunk in the thin kernels. */
    private static final int THIN_GRAIN_FMAS = 1 << 15;

    /**
     * Whether packing transposes use the 16-lane butterfly kernels below (AVX-512); otherwise they use 4 x 4
     * transposes of 128-bit vectors ({@link #transpose4}), which every ISA has.
     */
    private static final boolean VECTOR_TRANSPOSE = LANES == 16 && MR == 8;
    /** Lane indexes for the two stages of {@link #transpose4}. */
    private static final FloatVector QUAD_LO_2 = quadIndex(2, false);
    private static final FloatVector QUAD_HI_2 = quadIndex(2, true);
    private static final FloatVector QUAD_LO_1 = quadIndex(1, false);
    private static final FloatVector QUAD_HI_1 = quadIndex(1, true);
    /*
     * Index vectors for selectFrom(x, y) in a butterfly transpose: the stage for lane bit s pairs vector i with
     * vector i + d (bit d of i clear) and swaps bit d of the vector number with bit s of the lane; d = s in the
     * 16 x 16 transpose, d = s / 2 in the 8 x 16 A-panel transpose. The A_PANEL pair is the last stage of the latter,
     * with its lanes reordered so that each output vector holds two consecutive depths of an A panel.
     */
    private static final FloatVector BUTTERFLY_LO_8 = butterflyIndex(8, false, false);
    private static final FloatVector BUTTERFLY_HI_8 = butterflyIndex(8, true, false);
    private static final FloatVector BUTTERFLY_LO_4 = butterflyIndex(4, false, false);
    private static final FloatVector BUTTERFLY_HI_4 = butterflyIndex(4, true, false);
    private static final FloatVector BUTTERFLY_LO_2 = butterflyIndex(2, false, false);
    private static final FloatVector BUTTERFLY_HI_2 = butterflyIndex(2, true, false);
    private static final FloatVector BUTTERFLY_LO_1 = butterflyIndex(1, false, false);
    private static final FloatVector BUTTERFLY_HI_1 = butterflyIndex(1, true, false);
    private static final FloatVector A_PANEL_LO_2 = butterflyIndex(2, false, true);
    private static final FloatVector A_PANEL_HI_2 = butterflyIndex(2, true, true);

    /** Which operands are transposed. */
    enum Layout { NN, NT, TN }

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    private Gemm() {
    }

    /** The micro-kernel's register tile as this JVM runs it, e.g. "4 x 16 (4 rows x 2 vectors of 8 lanes)". */
    public static String registerTile() {
        return MR + " x " + NR + " (" + MR + " rows x " + NR_VECTORS + " vectors of " + LANES + " lanes)";
    }

    /** Rows of the register tile (for tests). */
    static int tileRows() {
        return MR;
    }

    /** Vectors per row of the register tile (for tests). */
    static int tileVectors() {
        return NR_VECTORS;
    }

    /** C[m,n] (+)= A[m,k] · B[k,n]; {@code accumulate} false overwrites C. */
    public static void nn(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k,
                          boolean accumulate) {
        multiply(Layout.NN, a, aOff, b, null, bOff, c, cOff, m, n, k, accumulate, true);
    }

    /** C[m,n] (+)= A[m,k] · B[n,k]ᵀ; {@code accumulate} false overwrites C. */
    public static void nt(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k,
                          boolean accumulate) {
        multiply(Layout.NT, a, aOff, b, null, bOff, c, cOff, m, n, k, accumulate, true);
    }

    /** C[m,n] (+)= A[m,k] · B[k,n] with B in bfloat16 ({@code b} holds the bit patterns). */
    public static void nn(float[] a, int aOff, short[] b, int bOff, float[] c, int cOff, int m, int n, int k,
                          boolean accumulate) {
        multiply(Layout.NN, a, aOff, null, b, bOff, c, cOff, m, n, k, accumulate, true);
    }

    /** C[m,n] (+)= A[m,k] · B[n,k]ᵀ with B in bfloat16 ({@code b} holds the bit patterns). */
    public static void nt(float[] a, int aOff, short[] b, int bOff, float[] c, int cOff, int m, int n, int k,
                          boolean accumulate) {
        multiply(Layout.NT, a, aOff, null, b, bOff, c, cOff, m, n, k, accumulate, true);
    }

    /** C[m,n] (+)= A[k,m]ᵀ · B[k,n]; {@code accumulate} false overwrites C. */
    public static void tn(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k,
                          boolean accumulate) {
        multiply(Layout.TN, a, aOff, b, null, bOff, c, cOff, m, n, k, accumulate, true);
    }

    /**
     * The vector GEMM for any layout. With {@code allowThreads} false everything runs on the calling thread; the
     * result is bit-identical either way (tests use this to check determinism). B is {@code b} (float32) or, when
     * that is null, {@code bBits} (bfloat16; not with {@link Layout#TN}).
     */
    static void multiply(Layout layout, float[] a, int aOff, float[] b, short[] bBits, int bOff, float[] c, int cOff,
                         int m, int n, int k, boolean accumulate, boolean allowThreads) {
        if (b == null && layout == Layout.TN) {
            throw new IllegalArgumentException("a bfloat16 B operand is read by nn and nt only");
        }
        checkArguments(a, aOff, b != null ? b.length : bBits.length, bOff, c, cOff, m, n, k);
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                Arrays.fill(c, cOff, cOff + m * n, 0f);
            }
            return;
        }
        Operands op = Operands.of(layout, a, aOff, b, bBits, bOff, c, cOff, m, n, k);
        boolean parallel = allowThreads && (long) m * n * k >= PARALLEL_MIN_FMAS;
        if (layout == Layout.NT && (m <= THIN_ROWS || n <= THIN_COLUMNS) && b == null && n < m) {
            // fewer rows of a bfloat16 B than of A, so at most THIN_COLUMNS of them: widened once
            float[] widened = new float[n * k];
            Bfloat16Vectors.widen(bBits, bOff, widened, 0, widened.length);
            dotProducts(op, widened, null, 0, accumulate, parallel);
        } else if (layout == Layout.NT && (m <= THIN_ROWS || n <= THIN_COLUMNS)) {
            dotProducts(op, b, bBits, bOff, accumulate, parallel);
        } else if (m <= THIN_ROWS) {
            rowStrips(op, accumulate, parallel);
        } else if (n <= THIN_COLUMNS && layout == Layout.NN) {
            float[] bTransposed = new float[n * k];
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < n; j++) {
                    bTransposed[j * k + p] = op.bScalar(bOff + p * n + j);
                }
            }
            dotProducts(op, bTransposed, null, 0, accumulate, parallel);
        } else if (n <= THIN_COLUMNS) {
            columnStrips(op, accumulate, parallel);
        } else {
            packed(op, accumulate, parallel);
        }
    }

    private static void checkArguments(float[] a, int aOff, int bLength, int bOff, float[] c, int cOff,
                                       int m, int n, int k) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("negative matrix size m=" + m + " n=" + n + " k=" + k);
        }
        Objects.checkFromIndexSize(aOff, Math.multiplyExact(m, k), a.length);
        Objects.checkFromIndexSize(bOff, Math.multiplyExact(k, n), bLength);
        Objects.checkFromIndexSize(cOff, Math.multiplyExact(m, n), c.length);
    }

    /**
     * The operands with A and B described by strides: A(i, p) is {@code a[aOff + i * aStrideI + p * aStrideP]} and
     * B(p, j) is {@code b[bOff + p * bStrideP + j * bStrideJ]} (in {@code bBits}, as bfloat16, when b is null);
     * C(i, j) is {@code c[cOff + i * n + j]}.
     */
    private record Operands(float[] a, int aOff, int aStrideI, int aStrideP,
                            float[] b, short[] bBits, int bOff, int bStrideP, int bStrideJ,
                            float[] c, int cOff, int m, int n, int k) {
        static Operands of(Layout layout, float[] a, int aOff, float[] b, short[] bBits, int bOff, float[] c,
                           int cOff, int m, int n, int k) {
            return switch (layout) {
                case NN -> new Operands(a, aOff, k, 1, b, bBits, bOff, n, 1, c, cOff, m, n, k);
                case NT -> new Operands(a, aOff, k, 1, b, bBits, bOff, 1, k, c, cOff, m, n, k);
                case TN -> new Operands(a, aOff, 1, m, b, bBits, bOff, n, 1, c, cOff, m, n, k);
            };
        }

        /** B's element at flat index {@code at}, widened from bfloat16 when B is stored so. */
        float bScalar(int at) {
            return b != null ? b[at] : BFloat16.toFloat(bBits[at]);
        }
    }


    /**
     * Per-thread scratch: the packed A block, an edge tile and a private B panel for tasks; the shared packed B of a
     * call for the calling thread.
     */
    private static final class Workspace {
        final float[] packedA = new float[MC_MAX * KC];
        final float[] tile = new float[MR * NR];
        final float[] privatePanel = new float[KC * NR];
        /** One panel's columns of a bfloat16 B, widened, before packing transposes them. */
        final float[] widenedPanel = new float[KC * NR];
        float[] packedB = new float[0];
        /** The later slabs' partial rows of C in {@link #rowStrips}. */
        float[] partials = new float[0];

        float[] packedB(int size) {
            if (packedB.length < size) {
                packedB = new float[size];
            }
            return packedB;
        }

        float[] partials(int size) {
            if (partials.length < size) {
                partials = new float[size];
            }
            return partials;
        }
    }

    private static void run(int count, int grain, boolean parallel, Parallel.RangeBody body) {
        if (parallel) {
            Parallel.range(count, grain, body);
        } else {
            body.run(0, count);
        }
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    // ---- packed path ---------------------------------------------------------------------------------------------

    /**
     * Blocked GEMM. C is cut into equal column blocks whose packed B (all k-blocks) fits the caller's buffer; each column
     * block is one parallel pass over tasks of (row block x column group). A task packs its A block once per k-block
     * and runs the micro-kernel over its tiles; the B panels it needs are packed on first use by whichever task gets
     * there first and shared (see {@link SharedPanels}), so B is packed once without a separate parallel pass.
     * Packed B holds, per k-block of depth kc, the column panels one after another, each kc rows of NR floats.
     */
    private static void packed(Operands op, boolean accumulate, boolean parallel) {
        int m = op.m();
        int n = op.n();
        int k = op.k();
        // as many row blocks as threads (or a multiple of them when a block would pass MC_MAX rows): two per thread,
        // smaller, ran 5-15% slower on two Zen 5 cores (1024³ and the m = 256 products of a GPT-2 forward pass),
        // since each B panel then serves fewer rows of A while it is in L1
        int tasksWanted = parallel ? Parallel.threads() : 1;
        int rowBlocksWanted = ceilDiv(ceilDiv(m, MC_MAX), tasksWanted) * tasksWanted;
        int mc = ceilDiv(ceilDiv(m, Math.min(ceilDiv(m, MR), rowBlocksWanted)), MR) * MR;
        int rowBlocks = ceilDiv(m, mc);
        int columnBlocks = ceilDiv(ceilDiv(n, NR), Math.max(1, PACKED_B_FLOATS / k / NR));
        int ncMax = ceilDiv(ceilDiv(n, columnBlocks), NR) * NR;
        float[] packedB = WORKSPACE.get().packedB(ncMax * k);
        for (int jc = 0; jc < n; jc += ncMax) {
            int nc = Math.min(ncMax, n - jc);
            int panels = ceilDiv(nc, NR);
            int groups = Math.min(panels, ceilDiv(tasksWanted, rowBlocks));
            SharedPanels shared = new SharedPanels(op, packedB, jc, nc, panels);
            run(rowBlocks * groups, 1, parallel, (from, to) -> {
                Workspace ws = WORKSPACE.get();
                for (int t = from; t < to; t++) {
                    int rowBlock = t / groups;
                    int group = t % groups;
                    int rowStart = rowBlock * mc;
                    computeBlock(op, ws, shared, rowStart, Math.min(mc, m - rowStart),
                            group * panels / groups, (group + 1) * panels / groups, rowBlock, rowBlocks, accumulate);
                }
            });
        }
    }

    /**
     * The packed B of one column block, filled panel by panel on first use. A panel (one k-block of one column
     * panel) goes from unpacked to packing to ready; the task that claims it packs it into the shared buffer, and a
     * task that finds it being packed by another packs a private copy instead of waiting. Packing is a pure copy,
     * so every copy holds the same values.
     */
    private static final class SharedPanels {
        private static final int UNPACKED = 0;
        private static final int PACKING = 1;
        private static final int READY = 2;

        final Operands op;
        final float[] packed;
        final int columnStart;
        final int nc;
        final int panels;
        private final AtomicIntegerArray state;

        SharedPanels(Operands op, float[] packed, int columnStart, int nc, int panels) {
            this.op = op;
            this.packed = packed;
            this.columnStart = columnStart;
            this.nc = nc;
            this.panels = panels;
            this.state = new AtomicIntegerArray(ceilDiv(op.k(), KC) * panels);
        }

        /** Offset of panel q of the k-block starting at pc, in {@link #packed}. */
        int offset(int pc, int kc, int q) {
            return pc * panels * NR + q * kc * NR;
        }

        /**
         * Makes panel q of the k-block at pc available: returns true when it is ready in {@link #packed}, false
         * when it was packed into {@code privateCopy} (at offset 0) because another task is packing it.
         */
        boolean acquire(int pc, int kc, int q, float[] privateCopy) {
            int index = pc / KC * panels + q;
            if (state.get(index) == READY) {
                return true;
            }
            if (state.compareAndSet(index, UNPACKED, PACKING)) {
                packBPanel(op, packed, offset(pc, kc, q), columnStart + q * NR, Math.min(NR, nc - q * NR), pc, kc);
                state.set(index, READY);
                return true;
            }
            if (state.get(index) == READY) {
                return true;
            }
            packBPanel(op, privateCopy, 0, columnStart + q * NR, Math.min(NR, nc - q * NR), pc, kc);
            return false;
        }
    }

    /**
     * Packs B(pc .. pc + kc, j0 .. j0 + width) as kc rows of NR floats at {@code base}, zero-padding the width. A
     * bfloat16 B is widened as it is loaded; one read with k contiguous ({@code nt}) is first widened column by
     * column into the workspace and transposed from there.
     */
    private static void packBPanel(Operands op, float[] dst, int base, int j0, int width, int pc, int kc) {
        float[] b = op.b();
        short[] bBits = op.bBits();
        if (op.bStrideJ() == 1 && width == NR) {
            int src = op.bOff() + pc * op.bStrideP() + j0;
            for (int p = 0; p < kc; p++) {
                int from = src + p * op.bStrideP();
                int at = base + p * NR;
                if (b != null) {
                    for (int v = 0; v < NR; v += LANES) {
                        FloatVector.fromArray(SPECIES, b, from + v).intoArray(dst, at + v);
                    }
                } else {
                    for (int v = 0; v < NR; v += LANES) {
                        Bfloat16Vectors.widen(bBits, from + v).intoArray(dst, at + v);
                    }
                }
            }
        } else if (op.bStrideJ() == 1) {
            for (int p = 0; p < kc; p++) {
                int at = base + p * NR;
                int from = op.bOff() + (pc + p) * op.bStrideP() + j0;
                if (b != null) {
                    System.arraycopy(b, from, dst, at, width);
                } else {
                    Bfloat16Vectors.widen(bBits, from, dst, at, width);
                }
                Arrays.fill(dst, at + width, at + NR, 0f);
            }
        } else {
            int src = op.bOff() + j0 * op.bStrideJ() + pc;
            int stride = op.bStrideJ();
            if (b == null) {
                b = WORKSPACE.get().widenedPanel;
                for (int col = 0; col < width; col++) {
                    Bfloat16Vectors.widen(bBits, src + col * stride, b, col * kc, kc);
                }
                src = 0;
                stride = kc;
            }
            int p = 0;
            if (VECTOR_TRANSPOSE && width == NR) {
                for (; p + LANES <= kc; p += LANES) {
                    for (int v = 0; v < NR_VECTORS; v++) {
                        transpose16(b, src + v * LANES * stride + p, stride, dst, base + p * NR + v * LANES, NR);
                    }
                }
            } else if (width == NR) {
                for (; p + 4 <= kc; p += 4) {
                    for (int col = 0; col < NR; col += 4) {
                        transpose4(b, src + col * stride + p, stride, dst, base + p * NR + col, NR);
                    }
                }
            }
            for (; p < kc; p++) {
                int at = base + p * NR;
                for (int col = 0; col < width; col++) {
                    dst[at + col] = b[src + col * stride + p];
                }
                Arrays.fill(dst, at + width, at + NR, 0f);
            }
        }
    }

    /** Packs rows [rowStart, rowStart + rows) of A, depths [pc, pc + kc), into MR-row panels of kc x MR floats. */
    private static void packA(Operands op, float[] dst, int rowStart, int rows, int pc, int kc) {
        float[] a = op.a();
        for (int ip = 0; ip * MR < rows; ip++) {
            int base = ip * kc * MR;
            int i0 = rowStart + ip * MR;
            int height = Math.min(MR, rows - ip * MR);
            if (op.aStrideP() == 1) {
                int src = op.aOff() + i0 * op.aStrideI() + pc;
                int stride = op.aStrideI();
                int p = 0;
                if (VECTOR_TRANSPOSE && height == MR) {
                    for (; p + LANES <= kc; p += LANES) {
                        transposeToAPanel(a, src + p, stride, dst, base + p * MR);
                    }
                } else if (height == MR) {
                    for (; p + 4 <= kc; p += 4) {
                        for (int r = 0; r < MR; r += 4) {
                            transpose4(a, src + r * stride + p, stride, dst, base + p * MR + r, MR);
                        }
                    }
                }
                for (; p < kc; p++) {
                    int at = base + p * MR;
                    for (int r = 0; r < height; r++) {
                        dst[at + r] = a[src + r * stride + p];
                    }
                    Arrays.fill(dst, at + height, at + MR, 0f);
                }
            } else if (height == MR) {
                int src = op.aOff() + pc * op.aStrideP() + i0;
                for (int p = 0; p < kc; p++) {
                    int from = src + p * op.aStrideP();
                    int at = base + p * MR;
                    // MR floats as 4-float pieces at 0, 4 (MR 8) or 0, 2 (MR 6): the second may overlap the first
                    FloatVector.fromArray(QUAD, a, from).intoArray(dst, at);
                    FloatVector.fromArray(QUAD, a, from + MR - 4).intoArray(dst, at + MR - 4);
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int at = base + p * MR;
                    System.arraycopy(a, op.aOff() + (pc + p) * op.aStrideP() + i0, dst, at, height);
                    Arrays.fill(dst, at + height, at + MR, 0f);
                }
            }
        }
    }

    /**
     * One task: rows [rowStart, rowStart + rows) of C against column panels [panelFrom, panelTo) of the shared
     * column block, over all k-blocks in order. Row block {@code rowBlock} of {@code rowBlocks} starts its walk over
     * the panels at its own fraction of the range, so that concurrent tasks pack different panels.
     */
    private static void computeBlock(Operands op, Workspace ws, SharedPanels shared, int rowStart, int rows,
                                     int panelFrom, int panelTo, int rowBlock, int rowBlocks, boolean accumulate) {
        int n = op.n();
        int k = op.k();
        float[] c = op.c();
        float[] packedA = ws.packedA;
        int count = panelTo - panelFrom;
        int firstStep = rowBlock * count / rowBlocks;
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            packA(op, packedA, rowStart, rows, pc, kc);
            boolean loadC = accumulate || pc > 0;
            for (int step = 0; step < count; step++) {
                int q = panelFrom + (firstStep + step) % count;
                boolean isShared = shared.acquire(pc, kc, q, ws.privatePanel);
                float[] bp = isShared ? shared.packed : ws.privatePanel;
                int bBase = isShared ? shared.offset(pc, kc, q) : 0;
                int j = shared.columnStart + q * NR;
                int width = Math.min(NR, shared.nc - q * NR);
                for (int ip = 0; ip * MR < rows; ip++) {
                    int i = rowStart + ip * MR;
                    int height = Math.min(MR, rows - ip * MR);
                    int aBase = ip * kc * MR;
                    if (height == MR && width == NR) {
                        microKernel(packedA, aBase, bp, bBase, kc, c, op.cOff() + i * n + j, n, loadC);
                    } else {
                        edgeTile(packedA, aBase, bp, bBase, kc, c, op.cOff() + i * n + j, n, height, width,
                                loadC, ws.tile);
                    }
                }
            }
        }
    }

    /**
     * Lane indexes for one butterfly stage of the 16-lane transposes (see {@link #VECTOR_TRANSPOSE}); null when those
     * are not used. With {@code aPanelOrder}, output lane {@code r + MR * h} takes the element that the plain stage
     * puts in lane {@code 2r + h}.
     */
    private static FloatVector butterflyIndex(int s, boolean high, boolean aPanelOrder) {
        return VECTOR_TRANSPOSE ? butterflyIndex(SPECIES, s, high, aPanelOrder) : null;
    }

    /** Lane indexes of one stage of {@link #transpose4}. */
    private static FloatVector quadIndex(int s, boolean high) {
        return butterflyIndex(QUAD, s, high, false);
    }

    /**
     * Lane indexes for the stage of a butterfly transpose in {@code species} that swaps lane bit {@code s}: for
     * {@code selectFrom(x, y)}, the low output keeps x's lanes with the bit clear and takes y's shifted down, the
     * high output takes x's lanes shifted up and keeps y's with the bit set.
     */
    private static FloatVector butterflyIndex(VectorSpecies<Float> species, int s, boolean high, boolean aPanelOrder) {
        int lanes = species.length();
        float[] index = new float[lanes];
        for (int lane = 0; lane < lanes; lane++) {
            int l = aPanelOrder ? lane % MR * 2 + lane / MR : lane;
            boolean bitClear = (l & s) == 0;
            index[lane] = high ? (bitClear ? l + s : lanes + l) : (bitClear ? l : lanes + l - s);
        }
        return FloatVector.fromArray(species, index, 0);
    }

    /**
     * Transposes a 4 x 4 block in 128-bit vectors: row r of the source ({@code src[srcBase + r * srcStride ..]})
     * becomes column r of the destination, whose rows start at {@code dstBase + t * dstStride}.
     */
    private static void transpose4(float[] src, int srcBase, int srcStride, float[] dst, int dstBase, int dstStride) {
        FloatVector x0 = FloatVector.fromArray(QUAD, src, srcBase);
        FloatVector x1 = FloatVector.fromArray(QUAD, src, srcBase + srcStride);
        FloatVector x2 = FloatVector.fromArray(QUAD, src, srcBase + 2 * srcStride);
        FloatVector x3 = FloatVector.fromArray(QUAD, src, srcBase + 3 * srcStride);
        FloatVector y0 = QUAD_LO_2.selectFrom(x0, x2);
        FloatVector y2 = QUAD_HI_2.selectFrom(x0, x2);
        FloatVector y1 = QUAD_LO_2.selectFrom(x1, x3);
        FloatVector y3 = QUAD_HI_2.selectFrom(x1, x3);
        QUAD_LO_1.selectFrom(y0, y1).intoArray(dst, dstBase);
        QUAD_HI_1.selectFrom(y0, y1).intoArray(dst, dstBase + dstStride);
        QUAD_LO_1.selectFrom(y2, y3).intoArray(dst, dstBase + 2 * dstStride);
        QUAD_HI_1.selectFrom(y2, y3).intoArray(dst, dstBase + 3 * dstStride);
    }

    /**
     * Transposes 8 rows of 16 floats ({@code src[srcBase + r * srcStride + p]}) into the A panel layout: 16 depths
     * of 8 floats, contiguous from {@code dstBase}.
     */
    private static void transposeToAPanel(float[] src, int srcBase, int srcStride, float[] dst, int dstBase) {
        FloatVector x0 = FloatVector.fromArray(SPECIES, src, srcBase);
        FloatVector x1 = FloatVector.fromArray(SPECIES, src, srcBase + 1 * srcStride);
        FloatVector x2 = FloatVector.fromArray(SPECIES, src, srcBase + 2 * srcStride);
        FloatVector x3 = FloatVector.fromArray(SPECIES, src, srcBase + 3 * srcStride);
        FloatVector x4 = FloatVector.fromArray(SPECIES, src, srcBase + 4 * srcStride);
        FloatVector x5 = FloatVector.fromArray(SPECIES, src, srcBase + 5 * srcStride);
        FloatVector x6 = FloatVector.fromArray(SPECIES, src, srcBase + 6 * srcStride);
        FloatVector x7 = FloatVector.fromArray(SPECIES, src, srcBase + 7 * srcStride);
        FloatVector y0 = BUTTERFLY_LO_8.selectFrom(x0, x4);
        FloatVector y4 = BUTTERFLY_HI_8.selectFrom(x0, x4);
        FloatVector y1 = BUTTERFLY_LO_8.selectFrom(x1, x5);
        FloatVector y5 = BUTTERFLY_HI_8.selectFrom(x1, x5);
        FloatVector y2 = BUTTERFLY_LO_8.selectFrom(x2, x6);
        FloatVector y6 = BUTTERFLY_HI_8.selectFrom(x2, x6);
        FloatVector y3 = BUTTERFLY_LO_8.selectFrom(x3, x7);
        FloatVector y7 = BUTTERFLY_HI_8.selectFrom(x3, x7);
        FloatVector z0 = BUTTERFLY_LO_4.selectFrom(y0, y2);
        FloatVector z2 = BUTTERFLY_HI_4.selectFrom(y0, y2);
        FloatVector z1 = BUTTERFLY_LO_4.selectFrom(y1, y3);
        FloatVector z3 = BUTTERFLY_HI_4.selectFrom(y1, y3);
        FloatVector z4 = BUTTERFLY_LO_4.selectFrom(y4, y6);
        FloatVector z6 = BUTTERFLY_HI_4.selectFrom(y4, y6);
        FloatVector z5 = BUTTERFLY_LO_4.selectFrom(y5, y7);
        FloatVector z7 = BUTTERFLY_HI_4.selectFrom(y5, y7);
        FloatVector w0 = A_PANEL_LO_2.selectFrom(z0, z1);
        FloatVector w1 = A_PANEL_HI_2.selectFrom(z0, z1);
        FloatVector w2 = A_PANEL_LO_2.selectFrom(z2, z3);
        FloatVector w3 = A_PANEL_HI_2.selectFrom(z2, z3);
        FloatVector w4 = A_PANEL_LO_2.selectFrom(z4, z5);
        FloatVector w5 = A_PANEL_HI_2.selectFrom(z4, z5);
        FloatVector w6 = A_PANEL_LO_2.selectFrom(z6, z7);
        FloatVector w7 = A_PANEL_HI_2.selectFrom(z6, z7);
        w0.intoArray(dst, dstBase);
        w1.intoArray(dst, dstBase + 1 * LANES);
        w2.intoArray(dst, dstBase + 2 * LANES);
        w3.intoArray(dst, dstBase + 3 * LANES);
        w4.intoArray(dst, dstBase + 4 * LANES);
        w5.intoArray(dst, dstBase + 5 * LANES);
        w6.intoArray(dst, dstBase + 6 * LANES);
        w7.intoArray(dst, dstBase + 7 * LANES);
    }

    /**
     * Transposes a 16 x 16 block: row r of the source ({@code src[srcBase + r * srcStride ..]}) becomes column r of
     * the destination, whose rows start at {@code dstBase + t * dstStride}.
     */
    private static void transpose16(float[] src, int srcBase, int srcStride, float[] dst, int dstBase, int dstStride) {
        FloatVector x0 = FloatVector.fromArray(SPECIES, src, srcBase);
        FloatVector x1 = FloatVector.fromArray(SPECIES, src, srcBase + 1 * srcStride);
        FloatVector x2 = FloatVector.fromArray(SPECIES, src, srcBase + 2 * srcStride);
        FloatVector x3 = FloatVector.fromArray(SPECIES, src, srcBase + 3 * srcStride);
        FloatVector x4 = FloatVector.fromArray(SPECIES, src, srcBase + 4 * srcStride);
        FloatVector x5 = FloatVector.fromArray(SPECIES, src, srcBase + 5 * srcStride);
        FloatVector x6 = FloatVector.fromArray(SPECIES, src, srcBase + 6 * srcStride);
        FloatVector x7 = FloatVector.fromArray(SPECIES, src, srcBase + 7 * srcStride);
        FloatVector x8 = FloatVector.fromArray(SPECIES, src, srcBase + 8 * srcStride);
        FloatVector x9 = FloatVector.fromArray(SPECIES, src, srcBase + 9 * srcStride);
        FloatVector x10 = FloatVector.fromArray(SPECIES, src, srcBase + 10 * srcStride);
        FloatVector x11 = FloatVector.fromArray(SPECIES, src, srcBase + 11 * srcStride);
        FloatVector x12 = FloatVector.fromArray(SPECIES, src, srcBase + 12 * srcStride);
        FloatVector x13 = FloatVector.fromArray(SPECIES, src, srcBase + 13 * srcStride);
        FloatVector x14 = FloatVector.fromArray(SPECIES, src, srcBase + 14 * srcStride);
        FloatVector x15 = FloatVector.fromArray(SPECIES, src, srcBase + 15 * srcStride);
        FloatVector y0 = BUTTERFLY_LO_8.selectFrom(x0, x8);
        FloatVector y8 = BUTTERFLY_HI_8.selectFrom(x0, x8);
        FloatVector y1 = BUTTERFLY_LO_8.selectFrom(x1, x9);
        FloatVector y9 = BUTTERFLY_HI_8.selectFrom(x1, x9);
        FloatVector y2 = BUTTERFLY_LO_8.selectFrom(x2, x10);
        FloatVector y10 = BUTTERFLY_HI_8.selectFrom(x2, x10);
        FloatVector y3 = BUTTERFLY_LO_8.selectFrom(x3, x11);
        FloatVector y11 = BUTTERFLY_HI_8.selectFrom(x3, x11);
        FloatVector y4 = BUTTERFLY_LO_8.selectFrom(x4, x12);
        FloatVector y12 = BUTTERFLY_HI_8.selectFrom(x4, x12);
        FloatVector y5 = BUTTERFLY_LO_8.selectFrom(x5, x13);
        FloatVector y13 = BUTTERFLY_HI_8.selectFrom(x5, x13);
        FloatVector y6 = BUTTERFLY_LO_8.selectFrom(x6, x14);
        FloatVector y14 = BUTTERFLY_HI_8.selectFrom(x6, x14);
        FloatVector y7 = BUTTERFLY_LO_8.selectFrom(x7, x15);
        FloatVector y15 = BUTTERFLY_HI_8.selectFrom(x7, x15);
        FloatVector z0 = BUTTERFLY_LO_4.selectFrom(y0, y4);
        FloatVector z4 = BUTTERFLY_HI_4.selectFrom(y0, y4);
        FloatVector z1 = BUTTERFLY_LO_4.selectFrom(y1, y5);
        FloatVector z5 = BUTTERFLY_HI_4.selectFrom(y1, y5);
        FloatVector z2 = BUTTERFLY_LO_4.selectFrom(y2, y6);
        FloatVector z6 = BUTTERFLY_HI_4.selectFrom(y2, y6);
        FloatVector z3 = BUTTERFLY_LO_4.selectFrom(y3, y7);
        FloatVector z7 = BUTTERFLY_HI_4.selectFrom(y3, y7);
        FloatVector z8 = BUTTERFLY_LO_4.selectFrom(y8, y12);
        FloatVector z12 = BUTTERFLY_HI_4.selectFrom(y8, y12);
        FloatVector z9 = BUTTERFLY_LO_4.selectFrom(y9, y13);
        FloatVector z13 = BUTTERFLY_HI_4.selectFrom(y9, y13);
        FloatVector z10 = BUTTERFLY_LO_4.selectFrom(y10, y14);
        FloatVector z14 = BUTTERFLY_HI_4.selectFrom(y10, y14);
        FloatVector z11 = BUTTERFLY_LO_4.selectFrom(y11, y15);
        FloatVector z15 = BUTTERFLY_HI_4.selectFrom(y11, y15);
        FloatVector w0 = BUTTERFLY_LO_2.selectFrom(z0, z2);
        FloatVector w2 = BUTTERFLY_HI_2.selectFrom(z0, z2);
        FloatVector w1 = BUTTERFLY_LO_2.selectFrom(z1, z3);
        FloatVector w3 = BUTTERFLY_HI_2.selectFrom(z1, z3);
        FloatVector w4 = BUTTERFLY_LO_2.selectFrom(z4, z6);
        FloatVector w6 = BUTTERFLY_HI_2.selectFrom(z4, z6);
        FloatVector w5 = BUTTERFLY_LO_2.selectFrom(z5, z7);
        FloatVector w7 = BUTTERFLY_HI_2.selectFrom(z5, z7);
        FloatVector w8 = BUTTERFLY_LO_2.selectFrom(z8, z10);
        FloatVector w10 = BUTTERFLY_HI_2.selectFrom(z8, z10);
        FloatVector w9 = BUTTERFLY_LO_2.selectFrom(z9, z11);
        FloatVector w11 = BUTTERFLY_HI_2.selectFrom(z9, z11);
        FloatVector w12 = BUTTERFLY_LO_2.selectFrom(z12, z14);
        FloatVector w14 = BUTTERFLY_HI_2.selectFrom(z12, z14);
        FloatVector w13 = BUTTERFLY_LO_2.selectFrom(z13, z15);
        FloatVector w15 = BUTTERFLY_HI_2.selectFrom(z13, z15);
        FloatVector v0 = BUTTERFLY_LO_1.selectFrom(w0, w1);
        FloatVector v1 = BUTTERFLY_HI_1.selectFrom(w0, w1);
        FloatVector v2 = BUTTERFLY_LO_1.selectFrom(w2, w3);
        FloatVector v3 = BUTTERFLY_HI_1.selectFrom(w2, w3);
        FloatVector v4 = BUTTERFLY_LO_1.selectFrom(w4, w5);
        FloatVector v5 = BUTTERFLY_HI_1.selectFrom(w4, w5);
        FloatVector v6 = BUTTERFLY_LO_1.selectFrom(w6, w7);
        FloatVector v7 = BUTTERFLY_HI_1.selectFrom(w6, w7);
        FloatVector v8 = BUTTERFLY_LO_1.selectFrom(w8, w9);
        FloatVector v9 = BUTTERFLY_HI_1.selectFrom(w8, w9);
        FloatVector v10 = BUTTERFLY_LO_1.selectFrom(w10, w11);
        FloatVector v11 = BUTTERFLY_HI_1.selectFrom(w10, w11);
        FloatVector v12 = BUTTERFLY_LO_1.selectFrom(w12, w13);
        FloatVector v13 = BUTTERFLY_HI_1.selectFrom(w12, w13);
        FloatVector v14 = BUTTERFLY_LO_1.selectFrom(w14, w15);
        FloatVector v15 = BUTTERFLY_HI_1.selectFrom(w14, w15);
        v0.intoArray(dst, dstBase);
        v1.intoArray(dst, dstBase + 1 * dstStride);
        v2.intoArray(dst, dstBase + 2 * dstStride);
        v3.intoArray(dst, dstBase + 3 * dstStride);
        v4.intoArray(dst, dstBase + 4 * dstStride);
        v5.intoArray(dst, dstBase + 5 * dstStride);
        v6.intoArray(dst, dstBase + 6 * dstStride);
        v7.intoArray(dst, dstBase + 7 * dstStride);
        v8.intoArray(dst, dstBase + 8 * dstStride);
        v9.intoArray(dst, dstBase + 9 * dstStride);
        v10.intoArray(dst, dstBase + 10 * dstStride);
        v11.intoArray(dst, dstBase + 11 * dstStride);
        v12.intoArray(dst, dstBase + 12 * dstStride);
        v13.intoArray(dst, dstBase + 13 * dstStride);
        v14.intoArray(dst, dstBase + 14 * dstStride);
        v15.intoArray(dst, dstBase + 15 * dstStride);
    }

    /** A partial tile: runs the micro-kernel on a scratch tile and copies the valid height x width part. */
    private static void edgeTile(float[] ap, int aBase, float[] bp, int bBase, int kc, float[] c, int cBase, int ldc,
                                 int height, int width, boolean loadC, float[] tile) {
        if (loadC) {
            for (int r = 0; r < height; r++) {
                System.arraycopy(c, cBase + r * ldc, tile, r * NR, width);
            }
        }
        microKernel(ap, aBase, bp, bBase, kc, tile, 0, NR, loadC);
        for (int r = 0; r < height; r++) {
            System.arraycopy(tile, r * NR, c, cBase + r * ldc, width);
        }
    }

    /**
     * C tile (MR x NR at {@code cBase}, row stride ldc) = (loadC ? C : 0) + packed A panel · packed B panel, as one
     * fused multiply-add per element and depth, in depth order.
     */
    private static void microKernel(float[] ap, int aBase, float[] bp, int bBase, int kc, float[] c, int cBase,
                                    int ldc, boolean loadC) {
        if (WIDE_TILE) {
            microKernel8x3(ap, aBase, bp, bBase, kc, c, cBase, ldc, loadC);
        } else {
            microKernel4x2(ap, aBase, bp, bBase, kc, c, cBase, ldc, loadC);
        }
    }

    /** The micro-kernel for 32 vector registers: an 8-row by 3-vector tile of C. */
    private static void microKernel8x3(float[] ap, int aBase, float[] bp, int bBase, int kc, float[] c, int cBase,
                                       int ldc, boolean loadC) {
        FloatVector c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32, c40, c41, c42, c50, c51, c52, c60, c61, c62, c70, c71, c72;
        if (loadC) {
            int row0 = cBase;
            c00 = FloatVector.fromArray(SPECIES, c, row0);
            c01 = FloatVector.fromArray(SPECIES, c, row0 + LANES);
            c02 = FloatVector.fromArray(SPECIES, c, row0 + 2 * LANES);
            int row1 = cBase + 1 * ldc;
            c10 = FloatVector.fromArray(SPECIES, c, row1);
            c11 = FloatVector.fromArray(SPECIES, c, row1 + LANES);
            c12 = FloatVector.fromArray(SPECIES, c, row1 + 2 * LANES);
            int row2 = cBase + 2 * ldc;
            c20 = FloatVector.fromArray(SPECIES, c, row2);
            c21 = FloatVector.fromArray(SPECIES, c, row2 + LANES);
            c22 = FloatVector.fromArray(SPECIES, c, row2 + 2 * LANES);
            int row3 = cBase + 3 * ldc;
            c30 = FloatVector.fromArray(SPECIES, c, row3);
            c31 = FloatVector.fromArray(SPECIES, c, row3 + LANES);
            c32 = FloatVector.fromArray(SPECIES, c, row3 + 2 * LANES);
            int row4 = cBase + 4 * ldc;
            c40 = FloatVector.fromArray(SPECIES, c, row4);
            c41 = FloatVector.fromArray(SPECIES, c, row4 + LANES);
            c42 = FloatVector.fromArray(SPECIES, c, row4 + 2 * LANES);
            int row5 = cBase + 5 * ldc;
            c50 = FloatVector.fromArray(SPECIES, c, row5);
            c51 = FloatVector.fromArray(SPECIES, c, row5 + LANES);
            c52 = FloatVector.fromArray(SPECIES, c, row5 + 2 * LANES);
            int row6 = cBase + 6 * ldc;
            c60 = FloatVector.fromArray(SPECIES, c, row6);
            c61 = FloatVector.fromArray(SPECIES, c, row6 + LANES);
            c62 = FloatVector.fromArray(SPECIES, c, row6 + 2 * LANES);
            int row7 = cBase + 7 * ldc;
            c70 = FloatVector.fromArray(SPECIES, c, row7);
            c71 = FloatVector.fromArray(SPECIES, c, row7 + LANES);
            c72 = FloatVector.fromArray(SPECIES, c, row7 + 2 * LANES);
        } else {
            FloatVector zero = FloatVector.zero(SPECIES);
            c00 = zero; c01 = zero; c02 = zero;
            c10 = zero; c11 = zero; c12 = zero;
            c20 = zero; c21 = zero; c22 = zero;
            c30 = zero; c31 = zero; c32 = zero;
            c40 = zero; c41 = zero; c42 = zero;
            c50 = zero; c51 = zero; c52 = zero;
            c60 = zero; c61 = zero; c62 = zero;
            c70 = zero; c71 = zero; c72 = zero;
        }
        for (int p = 0; p < kc; p++) {
            int ai = aBase + p * MR;
            int bi = bBase + p * NR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, bp, bi);
            FloatVector b1 = FloatVector.fromArray(SPECIES, bp, bi + LANES);
            FloatVector b2 = FloatVector.fromArray(SPECIES, bp, bi + 2 * LANES);
            FloatVector a = FloatVector.broadcast(SPECIES, ap[ai]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01); c02 = a.fma(b2, c02);
            a = FloatVector.broadcast(SPECIES, ap[ai + 1]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11); c12 = a.fma(b2, c12);
            a = FloatVector.broadcast(SPECIES, ap[ai + 2]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21); c22 = a.fma(b2, c22);
            a = FloatVector.broadcast(SPECIES, ap[ai + 3]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31); c32 = a.fma(b2, c32);
            a = FloatVector.broadcast(SPECIES, ap[ai + 4]);
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41); c42 = a.fma(b2, c42);
            a = FloatVector.broadcast(SPECIES, ap[ai + 5]);
            c50 = a.fma(b0, c50); c51 = a.fma(b1, c51); c52 = a.fma(b2, c52);
            a = FloatVector.broadcast(SPECIES, ap[ai + 6]);
            c60 = a.fma(b0, c60); c61 = a.fma(b1, c61); c62 = a.fma(b2, c62);
            a = FloatVector.broadcast(SPECIES, ap[ai + 7]);
            c70 = a.fma(b0, c70); c71 = a.fma(b1, c71); c72 = a.fma(b2, c72);
        }
        int out0 = cBase;
        c00.intoArray(c, out0);
        c01.intoArray(c, out0 + LANES);
        c02.intoArray(c, out0 + 2 * LANES);
        int out1 = cBase + 1 * ldc;
        c10.intoArray(c, out1);
        c11.intoArray(c, out1 + LANES);
        c12.intoArray(c, out1 + 2 * LANES);
        int out2 = cBase + 2 * ldc;
        c20.intoArray(c, out2);
        c21.intoArray(c, out2 + LANES);
        c22.intoArray(c, out2 + 2 * LANES);
        int out3 = cBase + 3 * ldc;
        c30.intoArray(c, out3);
        c31.intoArray(c, out3 + LANES);
        c32.intoArray(c, out3 + 2 * LANES);
        int out4 = cBase + 4 * ldc;
        c40.intoArray(c, out4);
        c41.intoArray(c, out4 + LANES);
        c42.intoArray(c, out4 + 2 * LANES);
        int out5 = cBase + 5 * ldc;
        c50.intoArray(c, out5);
        c51.intoArray(c, out5 + LANES);
        c52.intoArray(c, out5 + 2 * LANES);
        int out6 = cBase + 6 * ldc;
        c60.intoArray(c, out6);
        c61.intoArray(c, out6 + LANES);
        c62.intoArray(c, out6 + 2 * LANES);
        int out7 = cBase + 7 * ldc;
        c70.intoArray(c, out7);
        c71.intoArray(c, out7 + LANES);
        c72.intoArray(c, out7 + 2 * LANES);
    }

    /** The micro-kernel for 16 vector registers (AVX2, SSE): a 4-row by 2-vector tile of C. */
    private static void microKernel4x2(float[] ap, int aBase, float[] bp, int bBase, int kc, float[] c, int cBase,
                                       int ldc, boolean loadC) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        int row1 = cBase + ldc;
        int row2 = row1 + ldc;
        int row3 = row2 + ldc;
        if (loadC) {
            c00 = FloatVector.fromArray(SPECIES, c, cBase);
            c01 = FloatVector.fromArray(SPECIES, c, cBase + LANES);
            c10 = FloatVector.fromArray(SPECIES, c, row1);
            c11 = FloatVector.fromArray(SPECIES, c, row1 + LANES);
            c20 = FloatVector.fromArray(SPECIES, c, row2);
            c21 = FloatVector.fromArray(SPECIES, c, row2 + LANES);
            c30 = FloatVector.fromArray(SPECIES, c, row3);
            c31 = FloatVector.fromArray(SPECIES, c, row3 + LANES);
        } else {
            FloatVector zero = FloatVector.zero(SPECIES);
            c00 = zero; c01 = zero; c10 = zero; c11 = zero; c20 = zero; c21 = zero; c30 = zero; c31 = zero;
        }
        for (int p = 0; p < kc; p++) {
            int ai = aBase + p * MR;
            int bi = bBase + p * NR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, bp, bi);
            FloatVector b1 = FloatVector.fromArray(SPECIES, bp, bi + LANES);
            FloatVector a = FloatVector.broadcast(SPECIES, ap[ai]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(SPECIES, ap[ai + 1]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(SPECIES, ap[ai + 2]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(SPECIES, ap[ai + 3]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
        }
        c00.intoArray(c, cBase);
        c01.intoArray(c, cBase + LANES);
        c10.intoArray(c, row1);
        c11.intoArray(c, row1 + LANES);
        c20.intoArray(c, row2);
        c21.intoArray(c, row2 + LANES);
        c30.intoArray(c, row3);
        c31.intoArray(c, row3 + LANES);
    }

    // ---- thin problems: no packing --------------------------------------------------------------------------------

    /**
     * Few rows, B rows contiguous (nn, tn): the GEMV of decoding. k is cut into slabs of {@link #ROW_SLAB} rows of B;
     * each element of C is one fma chain per slab, in k order: the first slab's chain starts from C (accumulating) or
     * zero and is written to C, each later slab's starts from zero and is written to a partial row, and the partial rows
     * are then added to C in slab order. The arithmetic depends only on the shape, never on how the tasks are cut.
     *
     * <p>With at least two slabs per thread, each task is one whole slab: it reads ROW_SLAB contiguous rows of B, one
     * run the hardware prefetchers stream. With fewer, each task is one slab's block of columns, so that every thread
     * has work; its reads are then runs of a row's block (half a row with two threads). On 2 Zen 5 cores, GPT-2's
     * Conv1D weights (12 layers, 340 MB) were read at 40-42 GB/s by whole slabs and 30-35 GB/s by half rows.
     */
    private static void rowStrips(Operands op, boolean accumulate, boolean parallel) {
        int m = op.m();
        int n = op.n();
        int k = op.k();
        int slabs = ceilDiv(k, ROW_SLAB);
        int threads = parallel ? Parallel.threads() : 1;
        int width = slabs >= 2 * threads ? n : ceilDiv(ceilDiv(n, threads), LANES) * LANES;
        int blocks = ceilDiv(n, width);
        int partialSize = m * n;
        float[] partials = slabs == 1 ? null : WORKSPACE.get().partials((slabs - 1) * partialSize);
        run(slabs * blocks, 1, parallel, (from, to) -> {
            for (int task = from; task < to; task++) {
                int slab = task / blocks;
                int j0 = task % blocks * width;
                int p0 = slab * ROW_SLAB;
                int p1 = Math.min(k, p0 + ROW_SLAB);
                if (slab == 0) {
                    rowStream(op, j0, Math.min(n, j0 + width), p0, p1, op.c(), op.cOff(), accumulate);
                } else {
                    rowStream(op, j0, Math.min(n, j0 + width), p0, p1, partials, (slab - 1) * partialSize, false);
                }
            }
        });
        for (int slab = 1; slab < slabs; slab++) {
            addRows(partials, (slab - 1) * partialSize, op.c(), op.cOff(), partialSize);
        }
    }

    /** dst[dstOff + i] += src[srcOff + i] for i in [0, count). */
    private static void addRows(float[] src, int srcOff, float[] dst, int dstOff, int count) {
        int i = 0;
        for (; i + LANES <= count; i += LANES) {
            FloatVector.fromArray(SPECIES, dst, dstOff + i).add(FloatVector.fromArray(SPECIES, src, srcOff + i))
                    .intoArray(dst, dstOff + i);
        }
        for (; i < count; i++) {
            dst[dstOff + i] += src[srcOff + i];
        }
    }

    /**
     * D(all rows, j0 .. j1) (+)= A(all rows, p0 .. p1) · B(p0 .. p1, j0 .. j1) as fused multiply-add chains in k
     * order, B read row by row, where D is {@code d} laid out as C (row i at {@code dOff + i * n}). Four rows of B go
     * through each vector of D while it is in a register, so that D is loaded and stored once per four rows.
     */
    private static void rowStream(Operands op, int j0, int j1, int p0, int p1, float[] d, int dOff,
                                  boolean accumulate) {
        if (!accumulate) {
            for (int i = 0; i < op.m(); i++) {
                Arrays.fill(d, dOff + i * op.n() + j0, dOff + i * op.n() + j1, 0f);
            }
        }
        if (op.b() == null) {
            rowStreamBfloat16(op, j0, j1, p0, p1, d, dOff);
        } else {
            rowStreamFloat32(op, j0, j1, p0, p1, d, dOff);
        }
    }

    private static void rowStreamFloat32(Operands op, int j0, int j1, int p0, int p1, float[] c, int cOff) {
        float[] a = op.a();
        float[] b = op.b();
        int n = op.n();
        int bStep = op.bStrideP();
        int vectorEnd = j0 + (j1 - j0) / LANES * LANES;
        int p = p0;
        for (; p + 4 <= p1; p += 4) {
            int b0 = op.bOff() + p * bStep;
            int b1 = b0 + bStep;
            int b2 = b1 + bStep;
            int b3 = b2 + bStep;
            for (int i = 0; i < op.m(); i++) {
                int aAt = op.aOff() + i * op.aStrideI() + p * op.aStrideP();
                float x0 = a[aAt];
                float x1 = a[aAt + op.aStrideP()];
                float x2 = a[aAt + 2 * op.aStrideP()];
                float x3 = a[aAt + 3 * op.aStrideP()];
                FloatVector v0 = FloatVector.broadcast(SPECIES, x0);
                FloatVector v1 = FloatVector.broadcast(SPECIES, x1);
                FloatVector v2 = FloatVector.broadcast(SPECIES, x2);
                FloatVector v3 = FloatVector.broadcast(SPECIES, x3);
                int cRow = cOff + i * n;
                int j = j0;
                for (; j < vectorEnd; j += LANES) {
                    FloatVector sum = FloatVector.fromArray(SPECIES, c, cRow + j);
                    sum = v0.fma(FloatVector.fromArray(SPECIES, b, b0 + j), sum);
                    sum = v1.fma(FloatVector.fromArray(SPECIES, b, b1 + j), sum);
                    sum = v2.fma(FloatVector.fromArray(SPECIES, b, b2 + j), sum);
                    sum = v3.fma(FloatVector.fromArray(SPECIES, b, b3 + j), sum);
                    sum.intoArray(c, cRow + j);
                }
                for (; j < j1; j++) {
                    float sum = Math.fma(x0, b[b0 + j], c[cRow + j]);
                    sum = Math.fma(x1, b[b1 + j], sum);
                    sum = Math.fma(x2, b[b2 + j], sum);
                    c[cRow + j] = Math.fma(x3, b[b3 + j], sum);
                }
            }
        }
        for (; p < p1; p++) {
            int bRow = op.bOff() + p * bStep;
            for (int i = 0; i < op.m(); i++) {
                float x = a[op.aOff() + i * op.aStrideI() + p * op.aStrideP()];
                FloatVector xv = FloatVector.broadcast(SPECIES, x);
                int cRow = cOff + i * n;
                int j = j0;
                for (; j < vectorEnd; j += LANES) {
                    xv.fma(FloatVector.fromArray(SPECIES, b, bRow + j), FloatVector.fromArray(SPECIES, c, cRow + j))
                            .intoArray(c, cRow + j);
                }
                for (; j < j1; j++) {
                    c[cRow + j] = Math.fma(x, b[bRow + j], c[cRow + j]);
                }
            }
        }
    }

    /**
     * {@link #rowStreamFloat32} for a bfloat16 B: the same fma chains, B widened as it is loaded. The vector kernels
     * keep one loop per storage type: a load that chose its type inside the loop ran at half speed for float32 too.
     */
    private static void rowStreamBfloat16(Operands op, int j0, int j1, int p0, int p1, float[] c, int cOff) {
        float[] a = op.a();
        short[] b = op.bBits();
        int n = op.n();
        int bStep = op.bStrideP();
        int vectorEnd = j0 + (j1 - j0) / LANES * LANES;
        int p = p0;
        for (; p + 4 <= p1; p += 4) {
            int b0 = op.bOff() + p * bStep;
            int b1 = b0 + bStep;
            int b2 = b1 + bStep;
            int b3 = b2 + bStep;
            for (int i = 0; i < op.m(); i++) {
                int aAt = op.aOff() + i * op.aStrideI() + p * op.aStrideP();
                float x0 = a[aAt];
                float x1 = a[aAt + op.aStrideP()];
                float x2 = a[aAt + 2 * op.aStrideP()];
                float x3 = a[aAt + 3 * op.aStrideP()];
                FloatVector v0 = FloatVector.broadcast(SPECIES, x0);
                FloatVector v1 = FloatVector.broadcast(SPECIES, x1);
                FloatVector v2 = FloatVector.broadcast(SPECIES, x2);
                FloatVector v3 = FloatVector.broadcast(SPECIES, x3);
                int cRow = cOff + i * n;
                int j = j0;
                for (; j < vectorEnd; j += LANES) {
                    FloatVector sum = FloatVector.fromArray(SPECIES, c, cRow + j);
                    sum = v0.fma(Bfloat16Vectors.widen(b, b0 + j), sum);
                    sum = v1.fma(Bfloat16Vectors.widen(b, b1 + j), sum);
                    sum = v2.fma(Bfloat16Vectors.widen(b, b2 + j), sum);
                    sum = v3.fma(Bfloat16Vectors.widen(b, b3 + j), sum);
                    sum.intoArray(c, cRow + j);
                }
                for (; j < j1; j++) {
                    float sum = Math.fma(x0, BFloat16.toFloat(b[b0 + j]), c[cRow + j]);
                    sum = Math.fma(x1, BFloat16.toFloat(b[b1 + j]), sum);
                    sum = Math.fma(x2, BFloat16.toFloat(b[b2 + j]), sum);
                    c[cRow + j] = Math.fma(x3, BFloat16.toFloat(b[b3 + j]), sum);
                }
            }
        }
        for (; p < p1; p++) {
            int bRow = op.bOff() + p * bStep;
            for (int i = 0; i < op.m(); i++) {
                float x = a[op.aOff() + i * op.aStrideI() + p * op.aStrideP()];
                FloatVector xv = FloatVector.broadcast(SPECIES, x);
                int cRow = cOff + i * n;
                int j = j0;
                for (; j < vectorEnd; j += LANES) {
                    xv.fma(Bfloat16Vectors.widen(b, bRow + j), FloatVector.fromArray(SPECIES, c, cRow + j))
                            .intoArray(c, cRow + j);
                }
                for (; j < j1; j++) {
                    c[cRow + j] = Math.fma(x, BFloat16.toFloat(b[bRow + j]), c[cRow + j]);
                }
            }
        }
    }

    /** Few columns, A columns contiguous (tn): each task streams A for strips of four vectors of rows. */
    private static void columnStrips(Operands op, boolean accumulate, boolean parallel) {
        int strip = 4 * LANES;
        int grain = Math.max(1, THIN_GRAIN_FMAS / (op.n() * op.k() * strip));
        run(ceilDiv(op.m(), strip), grain, parallel, (from, to) -> {
            float[] column = WORKSPACE.get().tile;
            for (int s = from; s < to; s++) {
                for (int j = 0; j < op.n(); j++) {
                    columnStrip(op, s * strip, j, accumulate, column);
                }
            }
        });
    }

    /** C(i0 .. i0 + 4 vectors, j) as fused multiply-add chains over k, in k order, via a contiguous scratch column. */
    private static void columnStrip(Operands op, int i0, int j, boolean accumulate, float[] column) {
        float[] a = op.a();
        float[] b = op.b();
        float[] c = op.c();
        int n = op.n();
        int k = op.k();
        int height = Math.min(4 * LANES, op.m() - i0);
        int cAt = op.cOff() + i0 * n + j;
        for (int r = 0; r < height; r++) {
            column[r] = accumulate ? c[cAt + r * n] : 0f;
        }
        int aCol = op.aOff() + i0;
        int aStep = op.aStrideP();
        int bAt = op.bOff() + j;
        int bStep = op.bStrideP();
        if (height == 4 * LANES) {
            FloatVector s0 = FloatVector.fromArray(SPECIES, column, 0);
            FloatVector s1 = FloatVector.fromArray(SPECIES, column, LANES);
            FloatVector s2 = FloatVector.fromArray(SPECIES, column, 2 * LANES);
            FloatVector s3 = FloatVector.fromArray(SPECIES, column, 3 * LANES);
            for (int p = 0; p < k; p++) {
                FloatVector x = FloatVector.broadcast(SPECIES, b[bAt + p * bStep]);
                int ai = aCol + p * aStep;
                s0 = FloatVector.fromArray(SPECIES, a, ai).fma(x, s0);
                s1 = FloatVector.fromArray(SPECIES, a, ai + LANES).fma(x, s1);
                s2 = FloatVector.fromArray(SPECIES, a, ai + 2 * LANES).fma(x, s2);
                s3 = FloatVector.fromArray(SPECIES, a, ai + 3 * LANES).fma(x, s3);
            }
            s0.intoArray(column, 0);
            s1.intoArray(column, LANES);
            s2.intoArray(column, 2 * LANES);
            s3.intoArray(column, 3 * LANES);
        } else {
            for (int r0 = 0; r0 < height; r0 += LANES) {
                VectorMask<Float> mask = SPECIES.indexInRange(r0, height);
                FloatVector s = FloatVector.fromArray(SPECIES, column, r0);
                for (int p = 0; p < k; p++) {
                    FloatVector x = FloatVector.broadcast(SPECIES, b[bAt + p * bStep]);
                    s = FloatVector.fromArray(SPECIES, a, aCol + p * aStep + r0, mask).fma(x, s);
                }
                s.intoArray(column, r0);
            }
        }
        for (int r = 0; r < height; r++) {
            c[cAt + r * n] = column[r];
        }
    }

    /**
     * A rows contiguous in k and B given as rows of length k ({@code bRows[bRowsOff + j * k + p]} is B(p, j); in
     * {@code bRowsBits}, as bfloat16, when bRows is null): each C
     * element is a vector dot product with two accumulators, whose sum's lanes are added in lane order and then to C.
     * The larger operand is walked once, row after row, in memory order (B for the few-rows GEMV of decoding, A for
     * few columns), so that it streams, and each of its rows meets the other operand's rows while it is in L1.
     */
    private static void dotProducts(Operands op, float[] bRows, short[] bRowsBits, int bRowsOff, boolean accumulate,
                                    boolean parallel) {
        int m = op.m();
        int n = op.n();
        boolean bOuter = n >= m;
        int outer = bOuter ? n : m;
        int inner = bOuter ? m : n;
        int grain = Math.max(1, THIN_GRAIN_FMAS / (inner * op.k()));
        run(outer, grain, parallel, (from, to) -> {
            float[] lanes = WORKSPACE.get().tile;
            for (int o = from; o < to; o++) {
                if (bOuter) {
                    for (int i0 = 0; i0 < m; i0 += 4) {
                        int count = Math.min(4, m - i0);
                        if (bRows != null && count == 1) {
                            dot(op, i0, bRows, bRowsOff, o, accumulate, lanes);
                        } else if (bRows != null) {
                            dots4(op, i0, count, bRows, bRowsOff, o, accumulate, lanes);
                        } else if (count == 1) {
                            dotBfloat16(op, i0, bRowsBits, bRowsOff, o, accumulate, lanes);
                        } else {
                            dots4Bfloat16(op, i0, count, bRowsBits, bRowsOff, o, accumulate, lanes);
                        }
                    }
                } else {
                    for (int j = 0; j < n; j++) {
                        dot(op, o, bRows, bRowsOff, j, accumulate, lanes);
                    }
                }
            }
        });
    }

    /**
     * C(i0 .. i0 + count, j) for count ≤ 4 rows of A against B's row j, each load of B serving every row: the same
     * arithmetic as {@link #dot} for each row (rows past count repeat row i0 and are not stored).
     */
    private static void dots4(Operands op, int i0, int count, float[] bRows, int bRowsOff, int j, boolean accumulate,
                              float[] lanes) {
        float[] a = op.a();
        int k = op.k();
        int a0 = op.aOff() + i0 * k;
        int a1 = count > 1 ? a0 + k : a0;
        int a2 = count > 2 ? a0 + 2 * k : a0;
        int a3 = count > 3 ? a0 + 3 * k : a0;
        int bRow = bRowsOff + j * k;
        FloatVector zero = FloatVector.zero(SPECIES);
        FloatVector s00 = zero, s01 = zero, s10 = zero, s11 = zero, s20 = zero, s21 = zero, s30 = zero, s31 = zero;
        int p = 0;
        for (; p + 2 * LANES <= k; p += 2 * LANES) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, bRows, bRow + p);
            FloatVector b1 = FloatVector.fromArray(SPECIES, bRows, bRow + p + LANES);
            s00 = FloatVector.fromArray(SPECIES, a, a0 + p).fma(b0, s00);
            s01 = FloatVector.fromArray(SPECIES, a, a0 + p + LANES).fma(b1, s01);
            s10 = FloatVector.fromArray(SPECIES, a, a1 + p).fma(b0, s10);
            s11 = FloatVector.fromArray(SPECIES, a, a1 + p + LANES).fma(b1, s11);
            s20 = FloatVector.fromArray(SPECIES, a, a2 + p).fma(b0, s20);
            s21 = FloatVector.fromArray(SPECIES, a, a2 + p + LANES).fma(b1, s21);
            s30 = FloatVector.fromArray(SPECIES, a, a3 + p).fma(b0, s30);
            s31 = FloatVector.fromArray(SPECIES, a, a3 + p + LANES).fma(b1, s31);
        }
        for (; p < k; p += LANES) {
            VectorMask<Float> mask = SPECIES.indexInRange(p, k);
            FloatVector b0 = FloatVector.fromArray(SPECIES, bRows, bRow + p, mask);
            s00 = FloatVector.fromArray(SPECIES, a, a0 + p, mask).fma(b0, s00);
            s10 = FloatVector.fromArray(SPECIES, a, a1 + p, mask).fma(b0, s10);
            s20 = FloatVector.fromArray(SPECIES, a, a2 + p, mask).fma(b0, s20);
            s30 = FloatVector.fromArray(SPECIES, a, a3 + p, mask).fma(b0, s30);
        }
        float[] c = op.c();
        int n = op.n();
        int cAt = op.cOff() + i0 * n + j;
        c[cAt] = (accumulate ? c[cAt] : 0f) + sumLanes(s00.add(s01), lanes);
        if (count > 1) {
            c[cAt + n] = (accumulate ? c[cAt + n] : 0f) + sumLanes(s10.add(s11), lanes);
        }
        if (count > 2) {
            c[cAt + 2 * n] = (accumulate ? c[cAt + 2 * n] : 0f) + sumLanes(s20.add(s21), lanes);
        }
        if (count > 3) {
            c[cAt + 3 * n] = (accumulate ? c[cAt + 3 * n] : 0f) + sumLanes(s30.add(s31), lanes);
        }
    }

    /** {@link #dots4} for a bfloat16 B, widened as it is loaded (see {@link #rowStreamBfloat16}). */
    private static void dots4Bfloat16(Operands op, int i0, int count, short[] bRows, int bRowsOff, int j,
                                      boolean accumulate, float[] lanes) {
        float[] a = op.a();
        int k = op.k();
        int a0 = op.aOff() + i0 * k;
        int a1 = count > 1 ? a0 + k : a0;
        int a2 = count > 2 ? a0 + 2 * k : a0;
        int a3 = count > 3 ? a0 + 3 * k : a0;
        int bRow = bRowsOff + j * k;
        FloatVector zero = FloatVector.zero(SPECIES);
        FloatVector s00 = zero, s01 = zero, s10 = zero, s11 = zero, s20 = zero, s21 = zero, s30 = zero, s31 = zero;
        int p = 0;
        for (; p + 2 * LANES <= k; p += 2 * LANES) {
            FloatVector b0 = Bfloat16Vectors.widen(bRows, bRow + p);
            FloatVector b1 = Bfloat16Vectors.widen(bRows, bRow + p + LANES);
            s00 = FloatVector.fromArray(SPECIES, a, a0 + p).fma(b0, s00);
            s01 = FloatVector.fromArray(SPECIES, a, a0 + p + LANES).fma(b1, s01);
            s10 = FloatVector.fromArray(SPECIES, a, a1 + p).fma(b0, s10);
            s11 = FloatVector.fromArray(SPECIES, a, a1 + p + LANES).fma(b1, s11);
            s20 = FloatVector.fromArray(SPECIES, a, a2 + p).fma(b0, s20);
            s21 = FloatVector.fromArray(SPECIES, a, a2 + p + LANES).fma(b1, s21);
            s30 = FloatVector.fromArray(SPECIES, a, a3 + p).fma(b0, s30);
            s31 = FloatVector.fromArray(SPECIES, a, a3 + p + LANES).fma(b1, s31);
        }
        for (; p < k; p += LANES) {
            VectorMask<Float> mask = SPECIES.indexInRange(p, k);
            FloatVector b0 = Bfloat16Vectors.widen(bRows, bRow + p, p, k);
            s00 = FloatVector.fromArray(SPECIES, a, a0 + p, mask).fma(b0, s00);
            s10 = FloatVector.fromArray(SPECIES, a, a1 + p, mask).fma(b0, s10);
            s20 = FloatVector.fromArray(SPECIES, a, a2 + p, mask).fma(b0, s20);
            s30 = FloatVector.fromArray(SPECIES, a, a3 + p, mask).fma(b0, s30);
        }
        float[] c = op.c();
        int n = op.n();
        int cAt = op.cOff() + i0 * n + j;
        c[cAt] = (accumulate ? c[cAt] : 0f) + sumLanes(s00.add(s01), lanes);
        if (count > 1) {
            c[cAt + n] = (accumulate ? c[cAt + n] : 0f) + sumLanes(s10.add(s11), lanes);
        }
        if (count > 2) {
            c[cAt + 2 * n] = (accumulate ? c[cAt + 2 * n] : 0f) + sumLanes(s20.add(s21), lanes);
        }
        if (count > 3) {
            c[cAt + 3 * n] = (accumulate ? c[cAt + 3 * n] : 0f) + sumLanes(s30.add(s31), lanes);
        }
    }

    /** C(i, j) from one dot product of A's row i and B's row j. */
    private static void dot(Operands op, int i, float[] bRows, int bRowsOff, int j, boolean accumulate,
                            float[] lanes) {
        float[] a = op.a();
        int k = op.k();
        int aRow = op.aOff() + i * k;
        int bRow = bRowsOff + j * k;
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = s0;
        int p = 0;
        for (; p + 2 * LANES <= k; p += 2 * LANES) {
            s0 = FloatVector.fromArray(SPECIES, a, aRow + p).fma(FloatVector.fromArray(SPECIES, bRows, bRow + p), s0);
            s1 = FloatVector.fromArray(SPECIES, a, aRow + p + LANES)
                    .fma(FloatVector.fromArray(SPECIES, bRows, bRow + p + LANES), s1);
        }
        for (; p < k; p += LANES) {
            VectorMask<Float> mask = SPECIES.indexInRange(p, k);
            s0 = FloatVector.fromArray(SPECIES, a, aRow + p, mask)
                    .fma(FloatVector.fromArray(SPECIES, bRows, bRow + p, mask), s0);
        }
        float[] c = op.c();
        int cAt = op.cOff() + i * op.n() + j;
        c[cAt] = (accumulate ? c[cAt] : 0f) + sumLanes(s0.add(s1), lanes);
    }

    /** {@link #dot} for a bfloat16 B, widened as it is loaded (see {@link #rowStreamBfloat16}). */
    private static void dotBfloat16(Operands op, int i, short[] bRows, int bRowsOff, int j, boolean accumulate,
                                    float[] lanes) {
        float[] a = op.a();
        int k = op.k();
        int aRow = op.aOff() + i * k;
        int bRow = bRowsOff + j * k;
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = s0;
        int p = 0;
        for (; p + 2 * LANES <= k; p += 2 * LANES) {
            s0 = FloatVector.fromArray(SPECIES, a, aRow + p).fma(Bfloat16Vectors.widen(bRows, bRow + p), s0);
            s1 = FloatVector.fromArray(SPECIES, a, aRow + p + LANES)
                    .fma(Bfloat16Vectors.widen(bRows, bRow + p + LANES), s1);
        }
        for (; p < k; p += LANES) {
            VectorMask<Float> mask = SPECIES.indexInRange(p, k);
            s0 = FloatVector.fromArray(SPECIES, a, aRow + p, mask)
                    .fma(Bfloat16Vectors.widen(bRows, bRow + p, p, k), s0);
        }
        float[] c = op.c();
        int cAt = op.cOff() + i * op.n() + j;
        c[cAt] = (accumulate ? c[cAt] : 0f) + sumLanes(s0.add(s1), lanes);
    }

    /** The sum of the lanes of v in lane order ({@code reduceLanes} leaves the order unspecified). */
    private static float sumLanes(FloatVector v, float[] scratch) {
        v.intoArray(scratch, 0);
        float sum = 0f;
        for (int l = 0; l < LANES; l++) {
            sum += scratch[l];
        }
        return sum;
    }

    // ---- scalar reference -----------------------------------------------------------------------------------------

    /** Scalar reference for {@link #nn}: C[m,n] (+)= A[m,k] · B[k,n], float sums in k order. */
    public static void nnScalar(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k,
                                boolean accumulate) {
        checkArguments(a, aOff, b.length, bOff, c, cOff, m, n, k);
        float[] row = new float[n];
        for (int i = 0; i < m; i++) {
            Arrays.fill(row, 0f);
            for (int p = 0; p < k; p++) {
                float x = a[aOff + i * k + p];
                int bRow = bOff + p * n;
                for (int j = 0; j < n; j++) {
                    row[j] += x * b[bRow + j];
                }
            }
            storeRow(row, c, cOff + i * n, accumulate);
        }
    }

    /** Scalar reference for {@link #nt}: C[m,n] (+)= A[m,k] · B[n,k]ᵀ, float sums in k order. */
    public static void ntScalar(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k,
                                boolean accumulate) {
        checkArguments(a, aOff, b.length, bOff, c, cOff, m, n, k);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float sum = 0f;
                for (int p = 0; p < k; p++) {
                    sum += a[aOff + i * k + p] * b[bOff + j * k + p];
                }
                int at = cOff + i * n + j;
                c[at] = accumulate ? c[at] + sum : sum;
            }
        }
    }

    /** Scalar reference for {@link #tn}: C[m,n] (+)= A[k,m]ᵀ · B[k,n], float sums in k order. */
    public static void tnScalar(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k,
                                boolean accumulate) {
        checkArguments(a, aOff, b.length, bOff, c, cOff, m, n, k);
        float[] row = new float[n];
        for (int i = 0; i < m; i++) {
            Arrays.fill(row, 0f);
            for (int p = 0; p < k; p++) {
                float x = a[aOff + p * m + i];
                int bRow = bOff + p * n;
                for (int j = 0; j < n; j++) {
                    row[j] += x * b[bRow + j];
                }
            }
            storeRow(row, c, cOff + i * n, accumulate);
        }
    }

    private static void storeRow(float[] row, float[] c, int at, boolean accumulate) {
        for (int j = 0; j < row.length; j++) {
            c[at + j] = accumulate ? c[at + j] + row[j] : row[j];
        }
    }
}
