package org.align4j.tensor.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.align4j.tensor.Parallel;

/**
 * Vector API building blocks shared by the vector kernels: the species, row reductions and the parallel split.
 *
 * <p>Long reductions accumulate in float lanes and fold the lanes into a double total every {@link #SUM_BLOCK}
 * elements: each lane then sums only a handful of terms in float, so the result stays within a few float ulps of
 * the exact sum at full vector speed.
 */
final class VectorMath {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int LANES = F.length();
    private static final VectorSpecies<Float> F_256 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Float> F_128 = FloatVector.SPECIES_128;
    /** The preferred double species, and the float species with as many lanes, for widening floats into doubles. */
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    static final VectorSpecies<Float> F_AS_D = VectorSpecies.of(float.class,
            VectorShape.forBitSize(D.vectorBitSize() / 2));

    /** Elements summed in float lanes before the lanes are folded into the double total; a multiple of LANES. */
    static final int SUM_BLOCK = Math.max(256, LANES);
    /** Parallel chunks of flat elementwise work start at multiples of this (a multiple of any vector length). */
    static final int ALIGN = 1024;
    /** Roughly the least number of elements per parallel chunk that pays for the hand-off to another thread. */
    static final int MIN_PARALLEL_WORK = 1 << 15;

    private VectorMath() {
    }

    /**
     * Runs body over [0, n) in parallel chunks of at least {@link #MIN_PARALLEL_WORK} elements that start at
     * multiples of {@link #ALIGN}. Every element therefore lands in the vector part or the scalar tail of its chunk
     * according to n alone, so results do not depend on the thread count even where the vector and scalar paths
     * round differently (exp).
     */
    static void parallelAligned(int n, Parallel.RangeBody body) {
        int units = (n + ALIGN - 1) / ALIGN;
        Parallel.range(units, MIN_PARALLEL_WORK / ALIGN, (u0, u1) -> body.run(u0 * ALIGN, Math.min(n, u1 * ALIGN)));
    }

    /** The least number of rows per parallel chunk when each row costs about {@code rowWork} element operations. */
    static int rowGrain(long rowWork) {
        return (int) Math.max(1, MIN_PARALLEL_WORK / Math.max(1, rowWork));
    }

    /**
     * The sum of the lanes of v in a fixed pairwise order (halves folded onto each other). Unlike
     * {@code reduceLanes(ADD)}, whose order differs between the JIT intrinsic and the interpreter, the result does not
     * depend on how far the JIT has compiled the caller, so repeated runs give bit-identical numbers.
     */
    static float sumLanes(FloatVector v) {
        if (LANES == 16 || LANES == 8 || LANES == 4) {
            // the same tree, halving by taking the vector's upper and lower parts (no cross-lane shuffles)
            FloatVector acc = v;
            if (LANES == 16) {
                acc = ((FloatVector) acc.reinterpretShape(F_256, 0)).add((FloatVector) acc.reinterpretShape(F_256, 1));
            }
            if (LANES >= 8) {
                acc = ((FloatVector) acc.reinterpretShape(F_128, 0)).add((FloatVector) acc.reinterpretShape(F_128, 1));
            }
            return (acc.lane(0) + acc.lane(2)) + (acc.lane(1) + acc.lane(3));
        }
        FloatVector acc = v;
        for (int half = LANES / 2; half >= 1; half /= 2) {
            acc = acc.add(acc.slice(half));
        }
        return acc.lane(0);
    }

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 · 2^23: adding it rounds a float of magnitude below 2^22 to the nearest integer. */
    private static final float ROUNDING_MAGIC = 12582912f;
    private static final int ROUNDING_MAGIC_BITS = Float.floatToRawIntBits(ROUNDING_MAGIC);
    private static final float EXP_MIN = -87.33654f;
    private static final float EXP_MAX = 88.0f;

    /**
     * e^x lane by lane, within about 2 float ulps of {@link Math#exp}: x = n·ln2 + r with |r| &lt;= ln2/2 (Cody-Waite
     * reduction), e^r by its degree-7 Taylor polynomial, 2^n built in the exponent bits. Built from lanewise
     * arithmetic only, so, unlike {@code lanewise(EXP)} (an intrinsic in compiled code, a Java loop in the
     * interpreter), it gives the same bits whether or not the JIT has compiled the caller. Below ln(FLT_MIN) it
     * returns 0 (so e^-inf = 0), above 88 it returns +inf; NaN stays NaN.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector clamped = x.max(EXP_MIN).min(EXP_MAX);
        FloatVector t = clamped.fma(LOG2E, ROUNDING_MAGIC);
        FloatVector n = t.sub(ROUNDING_MAGIC);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), clamped);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(1f / 5040f, 1f / 720f);
        p = p.fma(r, FloatVector.broadcast(F, 1f / 120f));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 24f));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 6f));
        p = p.fma(r, FloatVector.broadcast(F, 0.5f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        IntVector bits = t.reinterpretAsInts().sub(ROUNDING_MAGIC_BITS).add(127).lanewise(VectorOperators.LSHL, 23);
        FloatVector result = p.mul(bits.reinterpretAsFloats());
        result = result.blend(0f, x.compare(VectorOperators.LT, EXP_MIN));
        return result.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_MAX));
    }

    /** Σ a[off..off+n). */
    static double sum(float[] a, int off, int n) {
        double total = 0;
        FloatVector acc = FloatVector.zero(F);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            acc = acc.add(FloatVector.fromArray(F, a, off + i));
            if ((i + LANES) % SUM_BLOCK == 0) {
                total += sumLanes(acc);
                acc = FloatVector.zero(F);
            }
        }
        total += sumLanes(acc);
        for (; i < n; i++) {
            total += a[off + i];
        }
        return total;
    }

    /** Σ a[off..off+n)². */
    static double sumOfSquares(float[] a, int off, int n) {
        double total = 0;
        FloatVector acc = FloatVector.zero(F);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector x = FloatVector.fromArray(F, a, off + i);
            acc = x.fma(x, acc);
            if ((i + LANES) % SUM_BLOCK == 0) {
                total += sumLanes(acc);
                acc = FloatVector.zero(F);
            }
        }
        total += sumLanes(acc);
        for (; i < n; i++) {
            total += (double) a[off + i] * a[off + i];
        }
        return total;
    }

    /** Σ (a[off..off+n) − mean)². */
    static double sumOfSquaredDeviations(float[] a, int off, int n, float mean) {
        double total = 0;
        FloatVector acc = FloatVector.zero(F);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector d = FloatVector.fromArray(F, a, off + i).sub(mean);
            acc = d.fma(d, acc);
            if ((i + LANES) % SUM_BLOCK == 0) {
                total += sumLanes(acc);
                acc = FloatVector.zero(F);
            }
        }
        total += sumLanes(acc);
        for (; i < n; i++) {
            double d = a[off + i] - mean;
            total += d * d;
        }
        return total;
    }

    /** max of a[off..off+n), −∞ when n is 0. */
    static float max(float[] a, int off, int n) {
        FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            acc = acc.max(FloatVector.fromArray(F, a, off + i));
        }
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            m = Math.max(m, a[off + i]);
        }
        return m;
    }

    /** a · b over n elements in float lanes: for short vectors such as attention heads. */
    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
        }
        float s = sumLanes(acc);
        for (; i < n; i++) {
            s += a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    /** y[yOff..yOff+n) += alpha · x[xOff..xOff+n). */
    static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int bound = F.loopBound(n);
        int i = 0;
        FloatVector a = FloatVector.broadcast(F, alpha);
        for (; i < bound; i += LANES) {
            FloatVector.fromArray(F, x, xOff + i).fma(a, FloatVector.fromArray(F, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    /**
     * y[yOff + i] += Σ_j w[j] · x[xBase + j · xStride + i] for i in [0, n) over the rows j &lt; rows whose weight is not
     * zero: exactly {@link #axpy} applied row after row (each element one chain in j order), but with up to four
     * vectors of y held in registers across the rows instead of stored and reloaded for every row (attention's
     * probability-weighted sum of value rows, its dq).
     */
    static void weightedRowSum(float[] w, int rows, float[] x, int xBase, int xStride, float[] y, int yOff, int n) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i + 4 * LANES <= bound; i += 4 * LANES) {
            FloatVector y0 = FloatVector.fromArray(F, y, yOff + i);
            FloatVector y1 = FloatVector.fromArray(F, y, yOff + i + LANES);
            FloatVector y2 = FloatVector.fromArray(F, y, yOff + i + 2 * LANES);
            FloatVector y3 = FloatVector.fromArray(F, y, yOff + i + 3 * LANES);
            for (int j = 0; j < rows; j++) {
                if (w[j] != 0f) {
                    FloatVector a = FloatVector.broadcast(F, w[j]);
                    int at = xBase + j * xStride + i;
                    y0 = FloatVector.fromArray(F, x, at).fma(a, y0);
                    y1 = FloatVector.fromArray(F, x, at + LANES).fma(a, y1);
                    y2 = FloatVector.fromArray(F, x, at + 2 * LANES).fma(a, y2);
                    y3 = FloatVector.fromArray(F, x, at + 3 * LANES).fma(a, y3);
                }
            }
            y0.intoArray(y, yOff + i);
            y1.intoArray(y, yOff + i + LANES);
            y2.intoArray(y, yOff + i + 2 * LANES);
            y3.intoArray(y, yOff + i + 3 * LANES);
        }
        for (; i < bound; i += LANES) {
            FloatVector y0 = FloatVector.fromArray(F, y, yOff + i);
            for (int j = 0; j < rows; j++) {
                if (w[j] != 0f) {
                    y0 = FloatVector.fromArray(F, x, xBase + j * xStride + i).fma(FloatVector.broadcast(F, w[j]), y0);
                }
            }
            y0.intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            float sum = y[yOff + i];
            for (int j = 0; j < rows; j++) {
                if (w[j] != 0f) {
                    sum += w[j] * x[xBase + j * xStride + i];
                }
            }
            y[yOff + i] = sum;
        }
    }

    /** a[off + i] ← exp(a[off + i] − shift) for i in [0, n); −∞ entries become 0. */
    static void expShiftedInPlace(float[] a, int off, int n, float shift) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            exp(FloatVector.fromArray(F, a, off + i).sub(shift)).intoArray(a, off + i);
        }
        for (; i < n; i++) {
            a[off + i] = (float) Math.exp(a[off + i] - shift);
        }
    }

    /** acc[accOff..accOff+n) += x[xOff..xOff+n), widening each float to double. */
    static void addToDouble(float[] x, int xOff, double[] acc, int accOff, int n) {
        int lanes = D.length();
        int bound = D.loopBound(n);
        int i = 0;
        for (; i < bound; i += lanes) {
            DoubleVector wide = (DoubleVector) FloatVector.fromArray(F_AS_D, x, xOff + i)
                    .convertShape(VectorOperators.F2D, D, 0);
            DoubleVector.fromArray(D, acc, accOff + i).add(wide).intoArray(acc, accOff + i);
        }
        for (; i < n; i++) {
            acc[accOff + i] += x[xOff + i];
        }
    }
}
