package org.align4j.tensor.cpu;

import static org.align4j.tensor.cpu.VectorMath.F;
import static org.align4j.tensor.cpu.VectorMath.LANES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link Gaussian}: the same integer hash, uniforms, logarithm, square root and sine
 * polynomial, operation for operation, so every lane equals the scalar {@link Gaussian#z} bit for bit.
 */
final class VectorGaussian {
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final IntVector IOTA = IntVector.zero(I).addIndex(1);

    private VectorGaussian() {
    }

    /** x[i] ← keep·x[i] + scale·z(stream, i) for i in [from, to), in parallel chunks. */
    static void scaleAdd(float[] x, int from, int to, long stream, float keep, float scale) {
        long keys = Gaussian.keys(stream);
        VectorMath.parallelAligned(to - from, (c0, c1) -> chunk(x, from + c0, from + c1, keys, keep, scale));
    }

    /**
     * One chunk, written as a single method: C2 does not inline helpers this large into the loop, and a vector
     * passed to a call that is not inlined is boxed on the heap, so the hash, logarithm and sine are spelled out here.
     */
    private static void chunk(float[] x, int start, int end, long keys, float keep, float scale) {
        IntVector k1 = IntVector.broadcast(I, (int) keys);
        IntVector k2 = IntVector.broadcast(I, (int) (keys >>> 32));
        FloatVector keepV = FloatVector.broadcast(F, keep);
        FloatVector scaleV = FloatVector.broadcast(F, scale);
        int bound = start + F.loopBound(end - start);
        int i = start;
        for (; i < bound; i += LANES) {
            IntVector c = IOTA.add(i).mul(0x9E3779B9);
            IntVector h1 = c.add(k1);
            h1 = h1.lanewise(VectorOperators.XOR, h1.lanewise(VectorOperators.LSHR, 16)).mul(0x7feb352d);
            h1 = h1.lanewise(VectorOperators.XOR, h1.lanewise(VectorOperators.LSHR, 15)).mul(0x846ca68b);
            h1 = h1.lanewise(VectorOperators.XOR, h1.lanewise(VectorOperators.LSHR, 16));
            IntVector h2 = c.add(k2);
            h2 = h2.lanewise(VectorOperators.XOR, h2.lanewise(VectorOperators.LSHR, 16)).mul(0x7feb352d);
            h2 = h2.lanewise(VectorOperators.XOR, h2.lanewise(VectorOperators.LSHR, 15)).mul(0x846ca68b);
            h2 = h2.lanewise(VectorOperators.XOR, h2.lanewise(VectorOperators.LSHR, 16));
            FloatVector u1 = ((FloatVector) h1.lanewise(VectorOperators.LSHR, 8).add(1)
                    .convert(VectorOperators.I2F, 0)).mul(Gaussian.ULP24);
            FloatVector u2 = ((FloatVector) h2.lanewise(VectorOperators.LSHR, 8)
                    .convert(VectorOperators.I2F, 0)).mul(Gaussian.ULP24);
            // ln u1, as Gaussian.log
            IntVector bits = (IntVector) u1.reinterpretAsInts();
            FloatVector e = (FloatVector) bits.lanewise(VectorOperators.LSHR, 23).sub(127)
                    .convert(VectorOperators.I2F, 0);
            FloatVector m = (FloatVector) bits.and(0x007fffff).or(0x3f800000).reinterpretAsFloats();
            VectorMask<Float> big = m.compare(VectorOperators.GT, Gaussian.SQRT_HALF_2);
            m = m.blend(m.mul(0.5f), big);
            e = e.blend(e.add(1f), big);
            FloatVector f = m.sub(1f);
            FloatVector f2 = f.mul(f);
            FloatVector p = FloatVector.broadcast(F, Gaussian.LOG_P[0]);
            for (int k = 1; k < Gaussian.LOG_P.length; k++) {
                p = p.fma(f, FloatVector.broadcast(F, Gaussian.LOG_P[k]));
            }
            FloatVector y = p.mul(f).mul(f2);
            y = e.fma(FloatVector.broadcast(F, Gaussian.LN2_LO), y);
            y = f2.fma(FloatVector.broadcast(F, -0.5f), y);
            FloatVector r = e.fma(FloatVector.broadcast(F, Gaussian.LN2_HI), f.add(y)).mul(-2f).sqrt();
            // sin(2π(|u2 − ½| − ¼)), as Gaussian.sin2Pi
            FloatVector s = u2.sub(0.5f).abs().sub(0.25f);
            FloatVector s2 = s.mul(s);
            FloatVector q = FloatVector.broadcast(F, Gaussian.SIN_P[0]);
            for (int k = 1; k < Gaussian.SIN_P.length; k++) {
                q = q.fma(s2, FloatVector.broadcast(F, Gaussian.SIN_P[k]));
            }
            FloatVector z = r.mul(q.mul(s));
            z.fma(scaleV, FloatVector.fromArray(F, x, i).mul(keepV)).intoArray(x, i);
        }
        for (; i < end; i++) {
            x[i] = Math.fma(scale, Gaussian.z(keys, i), x[i] * keep);
        }
    }
}
