package org.align4j.align.dpo;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The property TYPO is built for (Hu, He and Wipf 2024, "New Desiderata for Direct Preference Optimization", arXiv
 * 2407.09072): where the reference policy already is the Bradley-Terry optimal policy π* of the preference data
 * (π_ref(y) ∝ exp r(y) for the reward r behind the preferences, so the preferences carry no signal the reference does
 * not already have), minimising TYPO keeps π_ref, while DPO moves away from it (its optimum is
 * π_ref · exp(r/β), here π_ref^(1 + 1/β)); where the reference is poor and the preferences consistent, TYPO still
 * moves towards π*; and λ interpolates between π* (λ → 0) and π_ref (λ → ∞).
 *
 * <p>The model is a bandit: a softmax policy over K = 4 responses for each prompt, trained by plain gradient descent on
 * its logits with the gradients {@link DpoLoss} returns. The preference data is the population itself: two responses
 * drawn independently from π_ref and labelled by the Bradley-Terry model of r, i.e. every ordered pair (y_w, y_l),
 * y_w ≠ y_l, with probability 2 π_ref(y_w) π_ref(y_l) p*(y_w ≻ y_l), and (y, y) with probability π_ref(y)², so the
 * measured policies are the losses' population minimisers rather than noise from a finite sample.
 *
 * <p>"No signal" here means no signal beyond what the reference already has. Ties are a different case: when every
 * preference is 50/50 the Bradley-Terry optimal policy is uniform, so TYPO pulls a non-uniform reference towards
 * uniform, while DPO, whose optimum is then π_ref itself, keeps it.
 */
class TypoPreservationTest {
    private static final int STEPS = 3000;

    /** A prompt where the reference is already Bradley-Terry optimal: r = log π_ref. */
    private static final double[] GOOD_REFERENCE = {0.5, 0.25, 0.15, 0.10};
    /** A prompt where the reference prefers the worst responses while the data consistently prefers the first. */
    private static final double[] WEAK_REFERENCE = {0.10, 0.15, 0.25, 0.50};
    private static final double[] WEAK_REWARD = {2, 1, 0, -1};

    @Test
    void typoKeepsAnOptimalReferenceWhereDpoDriftsAndStillLearnsElsewhere() {
        double[] goodReward = log(GOOD_REFERENCE);
        DpoLoss dpo = new DpoLoss(DpoLossConfig.defaults());
        DpoLoss typo = new DpoLoss(typo(0.3));

        double[] dpoGood = train(dpo, GOOD_REFERENCE, goodReward);
        double[] typoGood = train(typo, GOOD_REFERENCE, goodReward);
        double dpoDrift = kl(dpoGood, GOOD_REFERENCE);
        double typoDrift = kl(typoGood, GOOD_REFERENCE);
        System.out.printf("optimal reference: KL(pi || pi_ref) DPO %.4f (p = %s), TYPO %.2e (p = %s)%n", dpoDrift,
                format(dpoGood), typoDrift, format(typoGood));
        assertTrue(typoDrift < 1e-9, "TYPO moved off an optimal reference: KL " + typoDrift);
        assertTrue(maxAbsDifference(typoGood, GOOD_REFERENCE) < 1e-5, "TYPO changed probabilities " + format(typoGood));
        assertTrue(dpoDrift > 0.3, "DPO was expected to sharpen the optimal reference, KL only " + dpoDrift);
        assertTrue(dpoGood[0] > 0.9, "DPO was expected to push the top response towards 1, got " + dpoGood[0]);

        double[] optimal = softmax(WEAK_REWARD);
        double[] typoWeak = train(typo, WEAK_REFERENCE, WEAK_REWARD);
        double before = kl(optimal, WEAK_REFERENCE);
        double after = kl(optimal, typoWeak);
        System.out.printf("weak reference: KL(pi* || pi) %.4f -> %.4f with TYPO (p = %s, pi* = %s)%n", before, after,
                format(typoWeak), format(optimal));
        assertTrue(after < 0.4 * before, "TYPO did not learn the consistent preferences: KL to pi* " + before
                + " -> " + after);
        assertTrue(typoWeak[0] > 2.5 * WEAK_REFERENCE[0],
                "TYPO did not raise the preferred response: " + format(typoWeak));
    }

    @Test
    void typoLambdaInterpolatesBetweenTheOptimalAndTheReferencePolicy() {
        double[] optimal = softmax(WEAK_REWARD);
        double previousToOptimal = 0;
        double previousToReference = Double.POSITIVE_INFINITY;
        for (double lambda : new double[] {0.01, 0.3, 3, 100}) {
            DpoLoss typo = new DpoLoss(typo(lambda));
            double[] p = train(typo, WEAK_REFERENCE, WEAK_REWARD);
            double toOptimal = kl(optimal, p);
            double toReference = kl(WEAK_REFERENCE, p);
            System.out.printf("lambda %6.2f: KL(pi* || pi) %.4f, KL(pi_ref || pi) %.4f, p = %s%n", lambda, toOptimal,
                    toReference, format(p));
            assertTrue(toOptimal > previousToOptimal, "KL to pi* should grow with lambda");
            assertTrue(toReference < previousToReference, "KL to pi_ref should shrink with lambda");
            if (lambda == 0.01) {
                assertTrue(toOptimal < 0.01, "small lambda should reach pi*, KL " + toOptimal);
            }
            if (lambda == 100) {
                assertTrue(toReference < 0.01, "large lambda should stay at pi_ref, KL " + toReference);
            }
            previousToOptimal = toOptimal;
            previousToReference = toReference;
        }
    }

    /**
     * Gradient descent from π = π_ref on the population loss of one prompt; returns the final policy. The loss is
     * Σ_pairs weight · loss(pair), so each pair's gradient is n · weight times {@link DpoLoss}'s gradient of the mean.
     * The step is 1/(1 + λ) so that large TYPO λ stays stable.
     */
    private static double[] train(DpoLoss loss, double[] reference, double[] reward) {
        double learningRate = 1 / (1 + (loss.config().lossType().contains(DpoLossType.TYPO)
                ? loss.config().typoLambda() : 0));
        int k = reference.length;
        double[] refLogp = log(reference);
        int n = k * k;
        int[] winner = new int[n];
        int[] loser = new int[n];
        double[] weight = new double[n];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                int p = i * k + j;
                winner[p] = i;
                loser[p] = j;
                // draws (i, j) and (j, i) both yield the ordered pair "i beats j" with probability p*(i > j)
                weight[p] = i == j ? reference[i] * reference[i]
                        : 2 * reference[i] * reference[j] / (1 + Math.exp(-(reward[i] - reward[j])));
            }
        }
        int[] ones = new int[n];
        java.util.Arrays.fill(ones, 1);
        double[] logits = refLogp.clone();
        for (int step = 0; step < STEPS; step++) {
            double[] logp = log(softmax(logits));
            double[] pc = new double[n];
            double[] pr = new double[n];
            double[] rc = new double[n];
            double[] rr = new double[n];
            for (int p = 0; p < n; p++) {
                pc[p] = logp[winner[p]];
                pr[p] = logp[loser[p]];
                rc[p] = refLogp[winner[p]];
                rr[p] = refLogp[loser[p]];
            }
            DpoLoss.Result r = loss.compute(DpoLossInput.of(pc, pr, rc, rr, ones, ones));
            double[] gradLogp = new double[k];
            for (int p = 0; p < n; p++) {
                gradLogp[winner[p]] += n * weight[p] * r.policyChosenGradient()[p];
                gradLogp[loser[p]] += n * weight[p] * r.policyRejectedGradient()[p];
            }
            double total = 0;
            for (double g : gradLogp) {
                total += g;
            }
            double[] policy = softmax(logits);
            for (int i = 0; i < k; i++) {
                logits[i] -= learningRate * (gradLogp[i] - total * policy[i]);
            }
        }
        return softmax(logits);
    }

    private static double[] softmax(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        double[] p = new double[logits.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    private static double[] log(double[] p) {
        double[] out = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = Math.log(p[i]);
        }
        return out;
    }

    /** KL(p ‖ q). */
    private static double kl(double[] p, double[] q) {
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                sum += p[i] * Math.log(p[i] / q[i]);
            }
        }
        return sum;
    }

    private static double maxAbsDifference(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    private static String format(double[] p) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < p.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format("%.4f", p[i]));
        }
        return sb.append(']').toString();
    }

    private static DpoLossConfig typo(double lambda) {
        return DpoLossConfig.defaults().withOptions(Map.of("loss_type", "typo", "typo_lambda", lambda));
    }
}
