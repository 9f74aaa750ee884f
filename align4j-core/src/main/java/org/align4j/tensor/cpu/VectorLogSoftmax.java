package org.align4j.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import org.align4j.tensor.Parallel;

import java.util.Arrays;

import static org.align4j.tensor.cpu.VectorMath.F;
import static org.align4j.tensor.cpu.VectorMath.LANES;
import static org.align4j.tensor.cpu.VectorMath.SUM_BLOCK;

/** Vector log-softmax with target gather, parallel over rows; the log-sum-exp subtracts the row maximum. */
final class VectorLogSoftmax {
    private VectorLogSoftmax() {
    }

    static void forward(float[] logits, int logitsOff, int[] targets, int targetsOff, float[] logp, float[] lse,
                        int outOff, int rows, int vocab) {
        Parallel.range(rows, VectorMath.rowGrain(vocab), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int row = logitsOff + r * vocab;
                int target = KernelChecks.target(targets, targetsOff + r, vocab);
                double rowLse = logSumExp(logits, row, vocab);
                lse[outOff + r] = (float) rowLse;
                logp[outOff + r] = target < 0 ? 0f : (float) (logits[row + target] - rowLse);
            }
        });
    }

    /** log Σ exp(x) over one row, as max + log Σ exp(x − max) with the sum in blocked float lanes. */
    private static double logSumExp(float[] x, int off, int n) {
        float max = VectorMath.max(x, off, n);
        double sum = 0;
        FloatVector acc = FloatVector.zero(F);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            acc = acc.add(VectorMath.exp(FloatVector.fromArray(F, x, off + i).sub(max)));
            if ((i + LANES) % SUM_BLOCK == 0) {
                sum += VectorMath.sumLanes(acc);
                acc = FloatVector.zero(F);
            }
        }
        sum += VectorMath.sumLanes(acc);
        for (; i < n; i++) {
            sum += Math.exp(x[off + i] - max);
        }
        return max + Math.log(sum);
    }

    static void statistics(float[] logits, int logitsOff, float[] lse, int outOff, int rows, int vocab, int[] argmax,
                           float[] entropy) {
        Parallel.range(rows, VectorMath.rowGrain(vocab), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int row = logitsOff + r * vocab;
                float rowLse = lse[outOff + r];
                float max = VectorMath.max(logits, row, vocab);
                int best = 0;
                if (Float.isNaN(max)) {
                    // a row with NaN (a diverged model): the scalar twin's rule, the first of the largest by >
                    for (int j = 1; j < vocab; j++) {
                        if (logits[row + j] > logits[row + best]) {
                            best = j;
                        }
                    }
                } else {
                    while (logits[row + best] != max) {
                        best++;
                    }
                }
                argmax[outOff + r] = best;
                double expected = 0;
                FloatVector acc = FloatVector.zero(F);
                int bound = F.loopBound(vocab);
                int i = 0;
                for (; i < bound; i += LANES) {
                    FloatVector x = FloatVector.fromArray(F, logits, row + i);
                    acc = VectorMath.exp(x.sub(rowLse)).fma(x, acc);
                    if ((i + LANES) % SUM_BLOCK == 0) {
                        expected += VectorMath.sumLanes(acc);
                        acc = FloatVector.zero(F);
                    }
                }
                expected += VectorMath.sumLanes(acc);
                for (; i < vocab; i++) {
                    expected += Math.exp(logits[row + i] - rowLse) * logits[row + i];
                }
                entropy[outOff + r] = (float) (rowLse - expected);
            }
        });
    }

    static void backward(float[] logits, int logitsOff, int[] targets, int targetsOff, float[] lse, float[] dlogp,
                         int outOff, float[] dlogits, int rows, int vocab) {
        Parallel.range(rows, VectorMath.rowGrain(vocab), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int row = logitsOff + r * vocab;
                int outRow = r * vocab;
                int target = KernelChecks.target(targets, targetsOff + r, vocab);
                if (target < 0) {
                    Arrays.fill(dlogits, outRow, outRow + vocab, 0f);
                    continue;
                }
                float g = dlogp[outOff + r];
                float rowLse = lse[outOff + r];
                // dlogits = g · (onehot(target) − softmax): −g p_j everywhere, then g (1 − p_t) at the target.
                int bound = F.loopBound(vocab);
                int j = 0;
                for (; j < bound; j += LANES) {
                    VectorMath.exp(FloatVector.fromArray(F, logits, row + j).sub(rowLse)).mul(-g)
                            .intoArray(dlogits, outRow + j);
                }
                for (; j < vocab; j++) {
                    dlogits[outRow + j] = -g * (float) Math.exp(logits[row + j] - rowLse);
                }
                float targetProb = (float) Math.exp(logits[row + target] - rowLse);
                dlogits[outRow + target] = g * (1f - targetProb);
            }
        });
    }
}
