package org.align4j.align.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link GrpoLoss} and {@link RlooLoss} against reference implementations written here from TRL's definitions
 * ({@code GRPOTrainer._compute_loss}, {@code RLOOTrainer._compute_loss}) in double precision: values directly, and
 * the analytic gradients against central finite differences of the reference values; plus hand-computed cases.
 */
class GrpoLossTest {
    private static final double EPS_LOW = 0.2;
    private static final double EPS_HIGH = 0.28;
    private static final int MAX_COMPLETION_LENGTH = 7;
    private static final int ACCUMULATION = 2;
    private static final int GLOBAL_TOKENS = 40;

    /** TRL's GRPO loss, transcribed: per-token losses over a [B, T] grid with a 0/1 mask, then the aggregation. */
    private static double grpoReference(CompletionLogps in, GrpoLossType type, ImportanceSamplingLevel level,
                                        Double delta, double beta) {
        int n = in.size();
        int width = 0;
        for (double[] row : in.logps()) {
            width = Math.max(width, row.length);
        }
        double[][] mask = new double[n][width];
        double[][] perToken = new double[n][width];
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < in.logps()[i].length; t++) {
                mask[i][t] = in.masked()[i] ? 0 : 1;
            }
        }
        for (int i = 0; i < n; i++) {
            double seqLogRatio = 0;
            double maskSum = 0;
            for (int t = 0; t < in.logps()[i].length; t++) {
                seqLogRatio += (in.logps()[i][t] - old(in, i, t)) * mask[i][t];
                maskSum += mask[i][t];
            }
            seqLogRatio /= Math.max(maskSum, 1);
            for (int t = 0; t < width; t++) {
                double logp = t < in.logps()[i].length ? in.logps()[i][t] : 0;
                double logRatio = t < in.logps()[i].length ? logp - old(in, i, t) : 0;
                double coef1 = Math.exp(level == ImportanceSamplingLevel.TOKEN ? logRatio : seqLogRatio);
                double coef2 = Math.min(Math.max(coef1, 1 - EPS_LOW), 1 + EPS_HIGH);
                if (delta != null) {
                    coef1 = Math.min(coef1, delta);
                }
                double a = in.advantages()[i];
                perToken[i][t] = -Math.min(coef1 * a, coef2 * a);
                if (beta != 0 && t < in.logps()[i].length) {
                    double ref = in.refLogps()[i][t];
                    perToken[i][t] += beta * (Math.exp(ref - logp) - (ref - logp) - 1);
                }
            }
        }
        double total = 0;
        double maskTotal = 0;
        double perSequenceMean = 0;
        for (int i = 0; i < n; i++) {
            double rowSum = 0;
            double rowMask = 0;
            for (int t = 0; t < width; t++) {
                rowSum += perToken[i][t] * mask[i][t];
                rowMask += mask[i][t];
            }
            total += rowSum;
            maskTotal += rowMask;
            perSequenceMean += rowSum / Math.max(rowMask, 1) / n;
        }
        return switch (type) {
            case GRPO -> perSequenceMean;
            case BNPO -> total / Math.max(maskTotal, 1);
            case DR_GRPO -> total / (n * (double) MAX_COMPLETION_LENGTH);
            // TRL divides by num_items_in_batch and leaves the loss unscaled; the trainer here divides by the
            // accumulation, so the task's value is that many times TRL's micro-batch loss
            case DAPO -> total / GLOBAL_TOKENS * ACCUMULATION;
        };
    }

    /** TRL's RLOO loss, transcribed: sequence log-probability sums, clipped ratio, mean over sequences. */
    private static double rlooReference(CompletionLogps in) {
        double loss = 0;
        for (int i = 0; i < in.size(); i++) {
            double logps = 0;
            double oldLogps = 0;
            for (int t = 0; t < in.logps()[i].length; t++) {
                double m = in.masked()[i] ? 0 : 1;
                logps += in.logps()[i][t] * m;
                oldLogps += old(in, i, t) * m;
            }
            double coef1 = Math.exp(logps - oldLogps);
            double coef2 = Math.min(Math.max(coef1, 1 - EPS_LOW), 1 + EPS_HIGH);
            double a = in.advantages()[i];
            loss += -Math.min(coef1 * a, coef2 * a) / in.size();
        }
        return loss;
    }

    private static double old(CompletionLogps in, int i, int t) {
        return in.oldLogps() == null ? in.logps()[i][t] : in.oldLogps()[i][t];
    }

    /**
     * A micro-batch of 4 completions of 2 to 6 tokens, old log-probs drifted so that some ratios are clipped, none
     * within 1e-3 of a clipping bound or of δ (the finite differences must not straddle a kink), one completion
     * masked.
     */
    private static CompletionLogps batch(long seed, boolean sequenceRatios, Double delta) {
        SplittableRandom rng = new SplittableRandom(seed);
        while (true) {
            int n = 4;
            double[][] logps = new double[n][];
            double[][] old = new double[n][];
            double[][] ref = new double[n][];
            double[] advantages = new double[n];
            for (int i = 0; i < n; i++) {
                int length = 2 + rng.nextInt(5);
                logps[i] = new double[length];
                old[i] = new double[length];
                ref[i] = new double[length];
                for (int t = 0; t < length; t++) {
                    logps[i][t] = -0.2 - 3 * rng.nextDouble();
                    old[i][t] = logps[i][t] + (rng.nextDouble() - 0.5) * (sequenceRatios ? 1.2 : 0.8);
                    ref[i][t] = logps[i][t] + (rng.nextDouble() - 0.5);
                }
                advantages[i] = rng.nextDouble() * 2 - 1;
            }
            CompletionLogps in = new CompletionLogps(logps, old, ref, advantages, new boolean[] {false, false, true,
                    false});
            if (awayFromKinks(in, delta)) {
                return in;
            }
        }
    }

    private static boolean awayFromKinks(CompletionLogps in, Double delta) {
        for (int i = 0; i < in.size(); i++) {
            double sum = 0;
            for (int t = 0; t < in.logps()[i].length; t++) {
                double d = in.logps()[i][t] - in.oldLogps()[i][t];
                sum += d;
                if (nearKink(Math.exp(d), delta)) {
                    return false;
                }
            }
            if (nearKink(Math.exp(sum / in.logps()[i].length), delta) || nearKink(Math.exp(sum), delta)) {
                return false;
            }
        }
        return true;
    }

    private static boolean nearKink(double ratio, Double delta) {
        return Math.abs(ratio - (1 - EPS_LOW)) < 1e-3 || Math.abs(ratio - (1 + EPS_HIGH)) < 1e-3
                || delta != null && Math.abs(ratio - delta) < 1e-3;
    }

    /** d reference / d logps[i][t] by central differences. */
    private static double[][] numericGradient(CompletionLogps in, java.util.function.ToDoubleFunction<CompletionLogps> f) {
        double h = 1e-6;
        double[][] gradient = new double[in.size()][];
        for (int i = 0; i < in.size(); i++) {
            gradient[i] = new double[in.logps()[i].length];
            for (int t = 0; t < gradient[i].length; t++) {
                double[][] plus = deepCopy(in.logps());
                double[][] minus = deepCopy(in.logps());
                plus[i][t] += h;
                minus[i][t] -= h;
                gradient[i][t] = (f.applyAsDouble(with(in, plus)) - f.applyAsDouble(with(in, minus))) / (2 * h);
            }
        }
        return gradient;
    }

    private static CompletionLogps with(CompletionLogps in, double[][] logps) {
        return new CompletionLogps(logps, in.oldLogps(), in.refLogps(), in.advantages(), in.masked());
    }

    private static double[][] deepCopy(double[][] a) {
        double[][] copy = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            copy[i] = a[i].clone();
        }
        return copy;
    }

    private static void assertGradients(double[][] expected, double[][] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], actual[i], 1e-7, what + ": completion " + i);
        }
    }

    @Test
    void everyLossTypeMatchesTheReferenceInValueAndGradient() {
        int cases = 0;
        for (GrpoLossType type : GrpoLossType.values()) {
            for (ImportanceSamplingLevel level : ImportanceSamplingLevel.values()) {
                for (double beta : new double[] {0, 0.04}) {
                    for (Double delta : new Double[] {null, 1.3}) {
                        CompletionLogps in = batch(17 + cases, level == ImportanceSamplingLevel.SEQUENCE, delta);
                        GrpoLoss loss = new GrpoLoss(type, EPS_LOW, EPS_HIGH, delta, beta, level,
                                MAX_COMPLETION_LENGTH);
                        PolicyLoss.Result result = loss.compute(in, GLOBAL_TOKENS, ACCUMULATION);
                        String what = type + "/" + level + "/beta " + beta + "/delta " + delta;
                        assertEquals(grpoReference(in, type, level, delta, beta), result.loss(), 1e-12, what);
                        assertGradients(numericGradient(in, x -> grpoReference(x, type, level, delta, beta)),
                                result.gradient(), what);
                        cases++;
                    }
                }
            }
        }
        assertEquals(32, cases);
    }

    @Test
    void rlooMatchesTheReferenceInValueAndGradient() {
        for (int seed = 0; seed < 4; seed++) {
            CompletionLogps in = batch(100 + seed, true, null);
            PolicyLoss.Result result = new RlooLoss(EPS_LOW, EPS_HIGH).compute(in, GLOBAL_TOKENS, ACCUMULATION);
            assertEquals(rlooReference(in), result.loss(), 1e-12);
            assertGradients(numericGradient(in, GrpoLossTest::rlooReference), result.gradient(), "rloo " + seed);
        }
    }

    @Test
    void onPolicyGradientsAreTheAdvantagesOverEachNormaliser() {
        // two completions of 2 and 3 tokens, sampled with the current weights (no old log-probs): every ratio is 1,
        // the loss is -mean advantage per aggregation and d loss / d logp is -A times the token's weight
        double[][] logps = {{-1, -2}, {-0.5, -0.25, -3}};
        CompletionLogps in = new CompletionLogps(logps, null, null, new double[] {1.5, -0.5}, new boolean[2]);
        double[][] grpo = new GrpoLoss(GrpoLossType.GRPO, 0.2, 0.2, null, 0, ImportanceSamplingLevel.TOKEN, 4)
                .compute(in, 10, 2).gradient();
        assertArrayEquals(new double[] {-1.5 / 4, -1.5 / 4}, grpo[0], 1e-15);
        assertArrayEquals(new double[] {0.5 / 6, 0.5 / 6, 0.5 / 6}, grpo[1], 1e-15);
        PolicyLoss.Result dapo = new GrpoLoss(GrpoLossType.DAPO, 0.2, 0.2, null, 0, ImportanceSamplingLevel.TOKEN, 4)
                .compute(in, 10, 2);
        assertEquals(-(2 * 1.5 - 3 * 0.5) / 10 * 2, dapo.loss(), 1e-15);
        assertArrayEquals(new double[] {-1.5 * 2 / 10, -1.5 * 2 / 10}, dapo.gradient()[0], 1e-15);
        PolicyLoss.Result bnpo = new GrpoLoss(GrpoLossType.BNPO, 0.2, 0.2, null, 0, ImportanceSamplingLevel.TOKEN, 4)
                .compute(in, 10, 2);
        assertArrayEquals(new double[] {0.5 / 5, 0.5 / 5, 0.5 / 5}, bnpo.gradient()[1], 1e-15);
        PolicyLoss.Result drGrpo = new GrpoLoss(GrpoLossType.DR_GRPO, 0.2, 0.2, null, 0,
                ImportanceSamplingLevel.TOKEN, 4).compute(in, 10, 2);
        assertArrayEquals(new double[] {-1.5 / 8, -1.5 / 8}, drGrpo.gradient()[0], 1e-15);
        assertEquals(0, drGrpo.metrics().get("clip_ratio/region_mean"));
    }

    @Test
    void clippedTokensHaveNoGradientAndAreCounted() {
        // ratio e^0.5 = 1.65 > 1.2 with a positive advantage: clipped high, no gradient; ratio e^-0.5 = 0.61 < 0.8
        // with a negative advantage: clipped low; the middle token's ratio 1 is inside the range
        double[][] logps = {{-1, -1, -1}, {-1}};
        double[][] old = {{-1.5, -1, -1}, {-0.5}};
        CompletionLogps in = new CompletionLogps(logps, old, null, new double[] {1, -1}, new boolean[2]);
        PolicyLoss.Result r = new GrpoLoss(GrpoLossType.BNPO, 0.2, 0.2, null, 0, ImportanceSamplingLevel.TOKEN, 4)
                .compute(in, 4, 1);
        assertEquals(0, r.gradient()[0][0], 0);
        assertEquals(-1.0 / 4, r.gradient()[0][1], 1e-15);
        assertEquals(0, r.gradient()[1][0], 0);
        assertEquals(1.0 / 4, r.metrics().get("clip_ratio/high_mean"), 1e-15);
        assertEquals(1.0 / 4, r.metrics().get("clip_ratio/low_mean"), 1e-15);
        assertEquals(0.5, r.metrics().get("clip_ratio/region_mean"), 1e-15);
        assertEquals(0, r.metrics().get("clip_ratio/low_min"), 1e-15);
        assertEquals(1.0 / 3, r.metrics().get("clip_ratio/high_max"), 1e-15);
        // loss: -(1.2·1 + 1·1 + 1·1 + 0.8·(-1)) / 4
        assertEquals(-(1.2 + 1 + 1 - 0.8) / 4, r.loss(), 1e-15);
    }

    @Test
    void maskedCompletionsAddNothing() {
        double[][] logps = {{-1, -2}, {-0.5}};
        CompletionLogps in = new CompletionLogps(logps, null, logps, new double[] {1, 1}, new boolean[] {true, false});
        PolicyLoss.Result r = new GrpoLoss(GrpoLossType.GRPO, 0.2, 0.2, null, 0.1, ImportanceSamplingLevel.TOKEN, 4)
                .compute(in, 1, 1);
        assertArrayEquals(new double[] {0, 0}, r.gradient()[0], 0);
        assertTrue(r.gradient()[1][0] < 0);
        assertEquals(0, r.metrics().get("kl"), 1e-15);
    }
}
