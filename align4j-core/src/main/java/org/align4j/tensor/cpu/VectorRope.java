package org.align4j.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import org.align4j.tensor.Parallel;

import static org.align4j.tensor.cpu.VectorMath.F;
import static org.align4j.tensor.cpu.VectorMath.LANES;

/**
 * Vector rotary embedding (HF rotate_half: pairs (x[i], x[i + half])), parallel over rows. Products and sums are
 * rounded separately, as in HF's {@code x * cos + rotate_half(x) * sin}.
 */
final class VectorRope {
    private VectorRope() {
    }

    /** Rotates every head of every row by the table angle of the row's position, times direction (+1 or −1). */
    static void rotate(float[] x, int[] positions, float[] cos, float[] sin, int rows, int nHeads, int headDim,
                       int direction) {
        int half = headDim / 2;
        Parallel.range(rows, VectorMath.rowGrain((long) nHeads * headDim), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int table = KernelChecks.ropePosition(positions, r, cos.length, half) * half;
                for (int h = 0; h < nHeads; h++) {
                    int first = (r * nHeads + h) * headDim;
                    rotateHead(x, first, first + half, cos, sin, table, half, direction);
                }
            }
        });
    }

    /** x1 ← x1 c − x2 s and x2 ← x2 c + x1 s with s negated for direction −1. */
    private static void rotateHead(float[] x, int first, int second, float[] cos, float[] sin, int table, int half,
                                   int direction) {
        int bound = F.loopBound(half);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector c = FloatVector.fromArray(F, cos, table + i);
            FloatVector s = FloatVector.fromArray(F, sin, table + i);
            if (direction < 0) {
                s = s.neg();
            }
            FloatVector x1 = FloatVector.fromArray(F, x, first + i);
            FloatVector x2 = FloatVector.fromArray(F, x, second + i);
            x1.mul(c).sub(x2.mul(s)).intoArray(x, first + i);
            x2.mul(c).add(x1.mul(s)).intoArray(x, second + i);
        }
        for (; i < half; i++) {
            float c = cos[table + i];
            float s = direction * sin[table + i];
            float x1 = x[first + i];
            float x2 = x[second + i];
            x[first + i] = x1 * c - x2 * s;
            x[second + i] = x2 * c + x1 * s;
        }
    }
}
