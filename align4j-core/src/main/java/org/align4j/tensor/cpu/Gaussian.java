package org.align4j.tensor.cpu;

/**
 * The counter-based standard normal generator behind {@link org.align4j.tensor.Kernels#scaleAddGaussian}, scalar
 * form (the reference that {@link VectorGaussian} reproduces bit for bit). Element i of stream s is a pure function
 * of (s, i), so any slice of a tensor, on any thread, in any order, regenerates the same z.
 *
 * <p>Definition (all arithmetic 32-bit integer or IEEE float32, fma where written):
 * <ol>
 * <li>keys: k1, k2 = the low and high halves of splitmix64(s), computed once per stream;</li>
 * <li>x = i·0x9E3779B9; h1 = mix(x + k1), h2 = mix(x + k2) with mix the "lowbias32" integer hash
 *     (h ^= h>>>16; h *= 0x7feb352d; h ^= h>>>15; h *= 0x846ca68b; h ^= h>>>16);</li>
 * <li>u1 = ((h1>>>8) + 1)·2⁻²⁴ in (0, 1] and u2 = (h2>>>8)·2⁻²⁴ in [0, 1), both exact in float;</li>
 * <li>Box-Muller (Box and Muller 1958): z = sqrt(−2 ln u1) · cos(2π u2), using one of the pair, which is N(0, 1)
 *     on its own. cos(2π u2) = sin(2π(|u2 − ½| − ¼)), whose argument is exact and lies in [−π/2, π/2].</li>
 * </ol>
 * ln is the Cephes logf scheme (exponent split, mantissa in [√½, √2), degree-8 polynomial) and sin an odd Taylor
 * polynomial of degree 15 (truncation error below 1e-11 on the range), both evaluated with +, × and fma only, which
 * IEEE 754 defines exactly, as it does the square root: the scalar and vector forms agree bit for bit on every JIT
 * tier. Vector API transcendental operators (LOG, SIN, COS) are not used, since their results vary across tiers.
 */
final class Gaussian {
    /** 2⁻²⁴: the float spacing of the 24-bit uniforms. */
    static final float ULP24 = 0x1p-24f;
    static final float SQRT_HALF_2 = 1.41421356f;
    /** ln 2 split in a part exact in float and a correction (Cephes). */
    static final float LN2_HI = 0.693359375f;
    static final float LN2_LO = -2.12194440e-4f;
    /** Cephes logf polynomial, highest degree first. */
    static final float[] LOG_P = {7.0376836292E-2f, -1.1514610310E-1f, 1.1676998740E-1f, -1.2420140846E-1f,
        1.4249322787E-1f, -1.6668057665E-1f, 2.0000714765E-1f, -2.4999993993E-1f, 3.3333331174E-1f};
    /** Taylor coefficients of sin(2πs) in s: (−1)^k (2π)^(2k+1) / (2k+1)!, highest degree (k = 7) first. */
    static final float[] SIN_P = sinCoefficients();

    private Gaussian() {
    }

    private static float[] sinCoefficients() {
        float[] c = new float[8];
        double twoPi = 2 * Math.PI;
        double term = twoPi;
        for (int k = 0; k < 8; k++) {
            c[7 - k] = (float) term;
            term = -term * twoPi * twoPi / ((2 * k + 2) * (2 * k + 3));
        }
        return c;
    }

    /** The two 32-bit keys of a stream: the halves of splitmix64(stream). */
    static long keys(long stream) {
        long z = stream + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x7feb352d;
        h ^= h >>> 15;
        h *= 0x846ca68b;
        return h ^ (h >>> 16);
    }

    /** ln u for u in (0, 1] (normal floats). */
    static float log(float u) {
        int bits = Float.floatToRawIntBits(u);
        float e = (float) ((bits >>> 23) - 127);
        float m = Float.intBitsToFloat((bits & 0x007fffff) | 0x3f800000);
        if (m > SQRT_HALF_2) {
            m = m * 0.5f;
            e = e + 1f;
        }
        float f = m - 1f;
        float f2 = f * f;
        float p = LOG_P[0];
        for (int k = 1; k < LOG_P.length; k++) {
            p = Math.fma(p, f, LOG_P[k]);
        }
        float y = p * f * f2;
        y = Math.fma(e, LN2_LO, y);
        y = Math.fma(-0.5f, f2, y);
        return Math.fma(e, LN2_HI, f + y);
    }

    /** sin(2πs) for s in [−¼, ¼]. */
    static float sin2Pi(float s) {
        float s2 = s * s;
        float p = SIN_P[0];
        for (int k = 1; k < SIN_P.length; k++) {
            p = Math.fma(p, s2, SIN_P[k]);
        }
        return p * s;
    }

    /** z(stream, i) for a stream with the given {@link #keys}. */
    static float z(long keys, int i) {
        int x = i * 0x9E3779B9;
        int h1 = mix(x + (int) keys);
        int h2 = mix(x + (int) (keys >>> 32));
        float u1 = ((h1 >>> 8) + 1) * ULP24;
        float u2 = (h2 >>> 8) * ULP24;
        float r = (float) Math.sqrt(-2f * log(u1));
        return r * sin2Pi(Math.abs(u2 - 0.5f) - 0.25f);
    }

    /** x[i] ← keep·x[i] + scale·z(stream, i) for i in [from, to). */
    static void scaleAdd(float[] x, int from, int to, long stream, float keep, float scale) {
        long keys = keys(stream);
        for (int i = from; i < to; i++) {
            x[i] = Math.fma(scale, z(keys, i), x[i] * keep);
        }
    }
}
