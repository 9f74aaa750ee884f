package org.align4j.tensor.cpu;

import jdk.incubator.vector.FloatVector;

import static org.align4j.tensor.cpu.VectorMath.F;
import static org.align4j.tensor.cpu.VectorMath.LANES;

/**
 * Vector GELU (tanh form), SiLU and SwiGLU, parallel over aligned chunks.
 *
 * <p>GELU uses the identity 0.5 (1 + tanh(u)) = σ(2u), so gelu_new(x) = x σ(2u) with
 * u = sqrt(2/π) (x + 0.044715 x³): the same function as HF's formula, evaluated without the cancellation of
 * 1 + tanh(u) for negative x. Exponentials use {@code VectorMath.exp}, which gives the same bits in compiled and interpreted code.
 */
final class VectorActivations {
    private static final float SQRT_2_OVER_PI = (float) ScalarKernels.SQRT_2_OVER_PI;
    private static final float GELU_CUBIC = (float) ScalarKernels.GELU_CUBIC;

    private VectorActivations() {
    }

    static void geluForward(float[] x, float[] out, int n) {
        VectorMath.parallelAligned(n, (from, to) -> {
            int bound = from + F.loopBound(to - from);
            int i = from;
            for (; i < bound; i += LANES) {
                FloatVector v = FloatVector.fromArray(F, x, i);
                v.mul(sigmoid(geluInner(v).mul(2f))).intoArray(out, i);
            }
            for (; i < to; i++) {
                out[i] = x[i] * sigmoid(2f * geluInner(x[i]));
            }
        });
    }

    static void geluBackward(float[] dout, float[] x, float[] dx, int n) {
        VectorMath.parallelAligned(n, (from, to) -> {
            int bound = from + F.loopBound(to - from);
            int i = from;
            for (; i < bound; i += LANES) {
                FloatVector v = FloatVector.fromArray(F, x, i);
                FloatVector s = sigmoid(geluInner(v).mul(2f));
                // d/dx [x σ(2u)] = σ(2u) + x · 2σ(2u)(1 − σ(2u)) · u', u' = sqrt(2/π) (1 + 3 · 0.044715 x²)
                FloatVector du = v.mul(v).mul(3f * GELU_CUBIC).add(1f).mul(SQRT_2_OVER_PI);
                FloatVector derivative = v.mul(2f).mul(s).mul(s.neg().add(1f)).mul(du).add(s);
                FloatVector.fromArray(F, dout, i).fma(derivative, FloatVector.fromArray(F, dx, i)).intoArray(dx, i);
            }
            for (; i < to; i++) {
                float v = x[i];
                float s = sigmoid(2f * geluInner(v));
                float du = (v * v * (3f * GELU_CUBIC) + 1f) * SQRT_2_OVER_PI;
                dx[i] += dout[i] * (v * 2f * s * (1f - s) * du + s);
            }
        });
    }

    private static FloatVector geluInner(FloatVector x) {
        return x.mul(x).mul(x).mul(GELU_CUBIC).add(x).mul(SQRT_2_OVER_PI);
    }

    private static float geluInner(float x) {
        return (x * x * x * GELU_CUBIC + x) * SQRT_2_OVER_PI;
    }

    static void siluForward(float[] x, float[] out, int n) {
        VectorMath.parallelAligned(n, (from, to) -> {
            int bound = from + F.loopBound(to - from);
            int i = from;
            for (; i < bound; i += LANES) {
                FloatVector v = FloatVector.fromArray(F, x, i);
                v.mul(sigmoid(v)).intoArray(out, i);
            }
            for (; i < to; i++) {
                out[i] = x[i] * sigmoid(x[i]);
            }
        });
    }

    static void siluBackward(float[] dout, float[] x, float[] dx, int n) {
        VectorMath.parallelAligned(n, (from, to) -> {
            int bound = from + F.loopBound(to - from);
            int i = from;
            for (; i < bound; i += LANES) {
                FloatVector derivative = siluDerivative(FloatVector.fromArray(F, x, i));
                FloatVector.fromArray(F, dout, i).fma(derivative, FloatVector.fromArray(F, dx, i)).intoArray(dx, i);
            }
            for (; i < to; i++) {
                dx[i] += dout[i] * siluDerivative(x[i]);
            }
        });
    }

    static void swigluForward(float[] gate, float[] up, float[] out, int n) {
        VectorMath.parallelAligned(n, (from, to) -> {
            int bound = from + F.loopBound(to - from);
            int i = from;
            for (; i < bound; i += LANES) {
                FloatVector g = FloatVector.fromArray(F, gate, i);
                g.mul(sigmoid(g)).mul(FloatVector.fromArray(F, up, i)).intoArray(out, i);
            }
            for (; i < to; i++) {
                out[i] = gate[i] * sigmoid(gate[i]) * up[i];
            }
        });
    }

    static void swigluBackward(float[] dout, float[] gate, float[] up, float[] dgate, float[] dup, int n) {
        VectorMath.parallelAligned(n, (from, to) -> {
            int bound = from + F.loopBound(to - from);
            int i = from;
            for (; i < bound; i += LANES) {
                FloatVector g = FloatVector.fromArray(F, gate, i);
                FloatVector d = FloatVector.fromArray(F, dout, i);
                FloatVector s = sigmoid(g);
                // silu'(g) = σ(g) (1 + g (1 − σ(g)))
                FloatVector siluDerivative = s.neg().add(1f).mul(g).add(1f).mul(s);
                if (dgate != null) {
                    d.mul(FloatVector.fromArray(F, up, i)).fma(siluDerivative, FloatVector.fromArray(F, dgate, i))
                            .intoArray(dgate, i);
                }
                if (dup != null) {
                    d.fma(g.mul(s), FloatVector.fromArray(F, dup, i)).intoArray(dup, i);
                }
            }
            for (; i < to; i++) {
                float g = gate[i];
                float s = sigmoid(g);
                if (dgate != null) {
                    dgate[i] += dout[i] * up[i] * ((1f + g * (1f - s)) * s);
                }
                if (dup != null) {
                    dup[i] += dout[i] * (g * s);
                }
            }
        });
    }

    /** silu'(x) = σ(x) (1 + x (1 − σ(x))). */
    private static FloatVector siluDerivative(FloatVector x) {
        FloatVector s = sigmoid(x);
        return s.neg().add(1f).mul(x).add(1f).mul(s);
    }

    private static float siluDerivative(float x) {
        float s = sigmoid(x);
        return (1f + x * (1f - s)) * s;
    }

    /** σ(x) = 1 / (1 + e^−x); e^−x overflows to +∞ for very negative x and σ correctly becomes 0. */
    private static FloatVector sigmoid(FloatVector x) {
        return FloatVector.broadcast(F, 1f).div(VectorMath.exp(x.neg()).add(1f));
    }

    private static float sigmoid(float x) {
        return 1f / (1f + (float) Math.exp(-x));
    }
}
