package org.align4j.align.kto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link KtoLoss} against a reference written here from TRL's {@code KTOTrainer._compute_loss} in double precision:
 * the loss, and its gradient against central finite differences (the KL estimate held fixed, as TRL detaches it).
 */
class KtoLossTest {
    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** TRL: chosen and rejected losses concatenated with their weights, then nanmean. */
    private static double reference(double[] policy, double[] ref, boolean[] label, double kl, KtoLossType type,
                                    double beta, double wd, double wu) {
        double sum = 0;
        for (int i = 0; i < policy.length; i++) {
            double r = policy[i] - ref[i];
            if (label[i]) {
                sum += wd * (type == KtoLossType.KTO ? 1 - sigmoid(beta * (r - kl)) : 1 - sigmoid(beta * r));
            } else {
                sum += wu * (type == KtoLossType.KTO ? 1 - sigmoid(beta * (kl - r)) : sigmoid(beta * r));
            }
        }
        return sum / policy.length;
    }

    @Test
    void bothLossTypesMatchTheReference() {
        SplittableRandom rng = new SplittableRandom(3);
        int n = 6;
        double[] policy = new double[n];
        double[] ref = new double[n];
        boolean[] label = {true, false, true, true, false, false};
        double[] klPolicy = new double[n];
        double[] klRef = new double[n];
        for (int i = 0; i < n; i++) {
            policy[i] = -10 * rng.nextDouble();
            ref[i] = policy[i] + rng.nextDouble() * 4 - 2;
            klPolicy[i] = -10 * rng.nextDouble();
            klRef[i] = klPolicy[i] - rng.nextDouble();
        }
        double kl = 0;
        for (int i = 0; i < n; i++) {
            kl += (klPolicy[i] - klRef[i]) / n;
        }
        for (KtoLossType type : KtoLossType.values()) {
            KtoLoss loss = new KtoLoss(type, 0.5, 1.33, 0.8);
            double z0 = type == KtoLossType.KTO ? kl : 0;
            KtoLoss.Result r = loss.compute(policy, ref, label, klPolicy, klRef);
            assertEquals(z0, r.kl(), 1e-15);
            assertEquals(reference(policy, ref, label, z0, type, 0.5, 1.33, 0.8), r.loss(), 1e-14, type.toString());
            double h = 1e-6;
            for (int i = 0; i < n; i++) {
                double[] plus = policy.clone();
                double[] minus = policy.clone();
                plus[i] += h;
                minus[i] -= h;
                double numeric = (reference(plus, ref, label, z0, type, 0.5, 1.33, 0.8)
                        - reference(minus, ref, label, z0, type, 0.5, 1.33, 0.8)) / (2 * h);
                assertEquals(numeric, r.gradient()[i], 1e-9, type + " completion " + i);
                assertEquals(0.5 * (policy[i] - ref[i]), r.rewards()[i], 1e-15);
            }
        }
    }

    @Test
    void aNegativeKlEstimateIsClampedToZero() {
        KtoLoss.Result r = new KtoLoss(KtoLossType.KTO, 0.1, 1, 1).compute(new double[] {-1}, new double[] {-1},
                new boolean[] {true}, new double[] {-5, -6}, new double[] {-4, -4});
        assertEquals(0, r.kl());
        // r = 0 and z0 = 0: 1 − σ(0) = 0.5, d/dr = −β/4
        assertEquals(0.5, r.loss(), 1e-15);
        assertArrayEquals(new double[] {-0.1 / 4}, r.gradient(), 1e-15);
    }
}
