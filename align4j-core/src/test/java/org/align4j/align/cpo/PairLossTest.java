package org.align4j.align.cpo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import java.util.function.ToDoubleBiFunction;
import org.junit.jupiter.api.Test;

/**
 * {@link CpoLoss} and {@link OrpoLoss} against reference implementations written here from TRL's {@code cpo_loss}
 * and {@code odds_ratio_loss} (and the papers' equations) in double precision: the mean loss, and its gradient
 * against central finite differences of the reference.
 */
class PairLossTest {
    private static double logSigmoid(double x) {
        return -Math.log1p(Math.exp(-x));
    }

    /** TRL's cpo_loss, mean over pairs. */
    private static double cpoReference(double[] w, double[] l, CpoLossType type, double beta, double eps,
                                       double gamma, double alpha) {
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            double rw = alpha == 0 ? w[i] : (1 - Math.pow(Math.exp(w[i]), -alpha)) / alpha;
            double rl = alpha == 0 ? l[i] : (1 - Math.pow(Math.exp(l[i]), -alpha)) / alpha;
            double logits = rw - rl;
            sum += switch (type) {
                case SIMPO -> {
                    double z = logits - gamma / beta;
                    yield -logSigmoid(beta * z) * (1 - eps) - logSigmoid(-beta * z) * eps;
                }
                case SIGMOID -> -logSigmoid(beta * logits) * (1 - eps) - logSigmoid(-beta * logits) * eps;
                case HINGE -> Math.max(0, 1 - beta * logits);
                case IPO -> Math.pow(logits - 1 / (2 * beta), 2);
            };
        }
        return sum / w.length;
    }

    /** TRL's odds_ratio_loss: −mean(β log σ(log odds)), with log(1 − e^x) computed plainly. */
    private static double orpoReference(double[] w, double[] l, double beta) {
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            double logOdds = (w[i] - l[i]) - (Math.log(1 - Math.exp(w[i])) - Math.log(1 - Math.exp(l[i])));
            sum += -beta * logSigmoid(logOdds);
        }
        return sum / w.length;
    }

    private static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }

    /** Checks the loss's mean and gradient on random mean-token log-probabilities (in (−3, −0.05)). */
    private static void check(PairLoss loss, ToDoubleBiFunction<double[], double[]> reference, String what) {
        SplittableRandom rng = new SplittableRandom(what.hashCode());
        double[] w = new double[5];
        double[] l = new double[5];
        for (int i = 0; i < w.length; i++) {
            w[i] = -0.05 - 3 * rng.nextDouble();
            l[i] = -0.05 - 3 * rng.nextDouble();
        }
        PairLoss.Result r = loss.compute(w, l);
        assertEquals(reference.applyAsDouble(w, l), mean(r.losses()), 1e-12, what);
        double h = 1e-6;
        for (int i = 0; i < w.length; i++) {
            double[] wp = w.clone();
            double[] wm = w.clone();
            wp[i] += h;
            wm[i] -= h;
            double[] lp = l.clone();
            double[] lm = l.clone();
            lp[i] += h;
            lm[i] -= h;
            assertEquals((reference.applyAsDouble(wp, l) - reference.applyAsDouble(wm, l)) / (2 * h),
                    r.chosenGradient()[i], 1e-7, what + " d/d chosen " + i);
            assertEquals((reference.applyAsDouble(w, lp) - reference.applyAsDouble(w, lm)) / (2 * h),
                    r.rejectedGradient()[i], 1e-7, what + " d/d rejected " + i);
        }
    }

    @Test
    void everyCpoLossTypeMatchesTheReference() {
        for (CpoLossType type : CpoLossType.values()) {
            for (double alpha : new double[] {0, 0.25}) {
                double eps = type == CpoLossType.SIGMOID || type == CpoLossType.SIMPO ? 0.1 : 0;
                check(new CpoLoss(type, 0.5, eps, 0.5, alpha, 1.0),
                        (w, l) -> cpoReference(w, l, type, 0.5, eps, 0.5, alpha), type + " alpha " + alpha);
            }
        }
    }

    @Test
    void orpoMatchesTheReference() {
        check(new OrpoLoss(0.1), (w, l) -> orpoReference(w, l, 0.1), "orpo");
        PairLoss.Result r = new OrpoLoss(0.1).compute(new double[] {-0.5}, new double[] {-2});
        double logOdds = 1.5 - (Math.log(1 - Math.exp(-0.5)) - Math.log(1 - Math.exp(-2)));
        assertEquals(logOdds, r.metrics().get("log_odds_chosen"), 1e-12);
        assertEquals(logSigmoid(logOdds), r.metrics().get("log_odds_ratio"), 1e-12);
        assertEquals(0.1 * -0.5, r.chosenRewards()[0], 1e-15);
    }

    @Test
    void log1mexpIsAccurateOnBothBranches() {
        // log(1 − e^x) by its series at both ends: 1 − e^x = −x(1 + x/2 + x²/6 + ...) near 0, and
        // log(1 − e^x) = −e^x − e^{2x}/2 − ... far below 0
        double x = -1e-8;
        assertEquals(Math.log(1e-8) + Math.log1p(x / 2 + x * x / 6), OrpoLoss.log1mexp(x), 1e-14);
        assertEquals(-Math.exp(-40) - Math.exp(-80) / 2, OrpoLoss.log1mexp(-40), 1e-30);
        // between them, on both sides of the branch point −ln 2: e^v + e^x = 1
        for (double y : new double[] {-0.1, -0.69, -0.7, -5}) {
            assertEquals(1, Math.exp(OrpoLoss.log1mexp(y)) + Math.exp(y), 1e-15, "x = " + y);
        }
    }
}
