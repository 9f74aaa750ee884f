package org.align4j.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import org.align4j.tensor.Parallel;

import static org.align4j.tensor.cpu.VectorMath.F;
import static org.align4j.tensor.cpu.VectorMath.LANES;

/** Vector kernels for bias, elementwise arithmetic, squared norms, embeddings and the AdamW update. */
final class VectorElementwise {
    /** Columns per parallel chunk of the column-sum kernels start at multiples of this. */
    private static final int COLUMN_ALIGN = 64;

    private VectorElementwise() {
    }

    static void addBias(float[] y, float[] bias, int rows, int n) {
        Parallel.range(rows, VectorMath.rowGrain(n), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                addInPlace(y, r * n, bias, 0, n);
            }
        });
    }

    /** dbias[j] += Σ_r dy[r, j], summed in double in row order; parallel over column chunks. */
    static void biasBackward(float[] dy, float[] dbias, int rows, int n) {
        forColumnChunks(n, rows, (c0, c1) -> {
            double[] sums = new double[c1 - c0];
            for (int r = 0; r < rows; r++) {
                VectorMath.addToDouble(dy, r * n + c0, sums, 0, c1 - c0);
            }
            for (int j = c0; j < c1; j++) {
                dbias[j] += (float) sums[j - c0];
            }
        });
    }

    /**
     * Runs body over chunks of the columns [0, n) of a matrix with the given number of rows, chunk starts aligned
     * to {@link #COLUMN_ALIGN}; for reductions down the rows, where each column must have a single writer.
     */
    static void forColumnChunks(int n, int rows, Parallel.RangeBody body) {
        int units = (n + COLUMN_ALIGN - 1) / COLUMN_ALIGN;
        int grainUnits = VectorMath.rowGrain((long) rows * COLUMN_ALIGN);
        Parallel.range(units, grainUnits, (u0, u1) -> body.run(u0 * COLUMN_ALIGN, Math.min(n, u1 * COLUMN_ALIGN)));
    }

    static void addInPlace(float[] dst, float[] src, int n) {
        VectorMath.parallelAligned(n, (from, to) -> addInPlace(dst, from, src, from, to - from));
    }

    private static void addInPlace(float[] dst, int dstOff, float[] src, int srcOff, int n) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector.fromArray(F, dst, dstOff + i).add(FloatVector.fromArray(F, src, srcOff + i))
                    .intoArray(dst, dstOff + i);
        }
        for (; i < n; i++) {
            dst[dstOff + i] += src[srcOff + i];
        }
    }

    static void copyColumns(float[] src, int srcWidth, int srcCol, float[] dst, int dstWidth, int dstCol, int rows,
                            int cols, boolean accumulate) {
        Parallel.range(rows, VectorMath.rowGrain(cols), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int s = r * srcWidth + srcCol;
                int d = r * dstWidth + dstCol;
                if (accumulate) {
                    addInPlace(dst, d, src, s, cols);
                } else {
                    System.arraycopy(src, s, dst, d, cols);
                }
            }
        });
    }

    static void add(float[] a, float[] b, float[] out, int n) {
        VectorMath.parallelAligned(n, (from, to) -> {
            int bound = from + F.loopBound(to - from);
            int i = from;
            for (; i < bound; i += LANES) {
                FloatVector.fromArray(F, a, i).add(FloatVector.fromArray(F, b, i)).intoArray(out, i);
            }
            for (; i < to; i++) {
                out[i] = a[i] + b[i];
            }
        });
    }

    static void scale(float[] x, float s, int n) {
        VectorMath.parallelAligned(n, (from, to) -> {
            int bound = from + F.loopBound(to - from);
            int i = from;
            for (; i < bound; i += LANES) {
                FloatVector.fromArray(F, x, i).mul(s).intoArray(x, i);
            }
            for (; i < to; i++) {
                x[i] *= s;
            }
        });
    }

    /** Σ x², as per-block partial sums (fixed blocks, whatever the thread count) added in block order. */
    static double sumOfSquares(float[] x, int n) {
        int blocks = (n + VectorMath.ALIGN - 1) / VectorMath.ALIGN;
        double[] partial = new double[blocks];
        Parallel.range(blocks, VectorMath.MIN_PARALLEL_WORK / VectorMath.ALIGN, (b0, b1) -> {
            for (int blk = b0; blk < b1; blk++) {
                int from = blk * VectorMath.ALIGN;
                partial[blk] = VectorMath.sumOfSquares(x, from, Math.min(n, from + VectorMath.ALIGN) - from);
            }
        });
        double total = 0;
        for (double p : partial) {
            total += p;
        }
        return total;
    }

    static void embeddingForward(int[] ids, float[] table, float[] out, int dim) {
        Parallel.range(ids.length, VectorMath.rowGrain(dim), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                int id = KernelChecks.embeddingId(ids, i, table.length, dim);
                System.arraycopy(table, id * dim, out, i * dim, dim);
            }
        });
    }

    /** out[i, :] = table[ids[i], :] for a bfloat16 table, widened row by row. */
    static void embeddingForward(int[] ids, short[] table, float[] out, int dim) {
        Parallel.range(ids.length, VectorMath.rowGrain(dim), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                int id = KernelChecks.embeddingId(ids, i, table.length, dim);
                Bfloat16Vectors.widen(table, id * dim, out, i * dim, dim);
            }
        });
    }

    /**
     * dtable[ids[i], :] += dout[i, :]. Parallel over column chunks, each walking all ids in index order, so that a
     * repeated id accumulates in the same order whatever the thread count.
     */
    static void embeddingBackward(int[] ids, float[] dout, float[] dtable, int dim) {
        for (int i = 0; i < ids.length; i++) {
            KernelChecks.embeddingId(ids, i, dtable.length, dim);
        }
        forColumnChunks(dim, ids.length, (c0, c1) -> {
            for (int i = 0; i < ids.length; i++) {
                addInPlace(dtable, ids[i] * dim + c0, dout, i * dim + c0, c1 - c0);
            }
        });
    }

    static void adamwUpdate(float[] p, float[] g, float[] m, float[] v, int n, AdamWStep step) {
        VectorMath.parallelAligned(n, (from, to) -> {
            int bound = from + F.loopBound(to - from);
            FloatVector lerpFactor = FloatVector.broadcast(F,
                    step.smallLerpWeight ? step.lerpWeight : step.lerpWeight - 1f);
            int i = from;
            for (; i < bound; i += LANES) {
                FloatVector grad = FloatVector.fromArray(F, g, i);
                FloatVector mean = FloatVector.fromArray(F, m, i);
                FloatVector decayed = FloatVector.fromArray(F, p, i).mul(step.decay);
                FloatVector diff = grad.sub(mean);
                mean = diff.fma(lerpFactor, step.smallLerpWeight ? mean : grad);
                FloatVector variance = FloatVector.fromArray(F, v, i).mul(step.beta2)
                        .add(grad.mul(step.oneMinusBeta2).mul(grad));
                FloatVector denom = variance.sqrt().div(step.bc2Sqrt).add(step.eps);
                decayed.add(mean.mul(step.negStepSize).div(denom)).intoArray(p, i);
                mean.intoArray(m, i);
                variance.intoArray(v, i);
            }
            for (; i < to; i++) {
                step.update(p, g, m, v, i);
            }
        });
    }
}
