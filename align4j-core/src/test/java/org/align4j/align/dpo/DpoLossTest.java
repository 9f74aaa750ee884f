package org.align4j.align.dpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.align4j.model.Fixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The preference losses against TRL's golden values for the five fixture models, their gradients against central
 * finite differences, and the options (loss combinations, f-divergences, LD-DPO, WPO, reference_free, BCO shift,
 * validation).
 */
class DpoLossTest {
    static final List<String> MODELS = Fixture.NAMES;
    /** Largest relative error (absolute below 1) against the goldens, per loss type, over all models. */
    private static final Map<DpoLossType, Double> GOLDEN_ERRORS = new EnumMap<>(DpoLossType.class);

    @AfterAll
    static void reportGoldenErrors() {
        GOLDEN_ERRORS.forEach((type, err) -> System.out.printf("golden max error %-13s %.3e%n", type, err));
    }

    // ---------------------------------------------------------------------------------------------- goldens

    @ParameterizedTest
    @FieldSource("MODELS")
    void everyTrlLossMatchesTheGoldens(String model) {
        DpoGolden g = DpoGolden.load(model);
        int checked = 0;
        for (DpoLossType type : DpoLossType.values()) {
            if (!g.hasLoss(type)) {
                continue;
            }
            DpoLoss.Result r = new DpoLoss(g.config(type)).compute(g.batch());
            double[] want = g.perPair(type);
            double err = 0;
            for (int i = 0; i < want.length; i++) {
                err = Math.max(err, relativeError(r.perPair()[i], want[i]));
            }
            err = Math.max(err, relativeError(r.loss(), g.mean(type)));
            GOLDEN_ERRORS.merge(type, err, Math::max);
            assertTrue(err <= 1e-6, model + " " + type + ": error " + err + " vs TRL");
            checked++;
        }
        assertEquals(14, checked, "golden.json should hold all TRL loss types but sft");
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void metricsMatchTrl(String model) {
        DpoGolden g = DpoGolden.load(model);
        DpoMetrics m = new DpoLoss(g.config(DpoLossType.SIGMOID)).compute(g.batch()).metrics();
        assertEquals(List.of("rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins",
                "logps/chosen", "logps/rejected"), List.copyOf(m.asMap().keySet()));
        m.asMap().forEach((name, value) -> assertEquals(g.metric(name), value, 1e-12, model + " " + name));
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void gradientsOfEveryLossMatchFiniteDifferences(String model) {
        DpoGolden g = DpoGolden.load(model);
        for (DpoLossType type : DpoLossType.values()) {
            assertGradientsMatchFiniteDifferences(new DpoLoss(g.config(type)), g.batch(), model + " " + type);
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void rewardsAreBetaTimesLogRatiosForEveryLoss(String model) {
        DpoGolden g = DpoGolden.load(model);
        DpoLossInput b = g.batch();
        for (DpoLossType type : DpoLossType.values()) {
            DpoLoss.Result r = new DpoLoss(g.config(type)).compute(b);
            for (int i = 0; i < b.size(); i++) {
                assertEquals(g.beta() * (b.policyChosenLogps()[i] - b.refChosenLogps()[i]), r.chosenRewards()[i], 1e-15);
                assertEquals(g.beta() * (b.policyRejectedLogps()[i] - b.refRejectedLogps()[i]), r.rejectedRewards()[i],
                        1e-15);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- sft and combinations

    @Test
    void sftIsTheTokenMeanNllOfTheChosenResponses() {
        DpoLossInput b = DpoLossInput.of(new double[] {-6, -1}, new double[] {-3, -4}, new double[] {-5, -2},
                new double[] {-3, -3}, new int[] {3, 1}, new int[] {2, 2});
        DpoLoss.Result r = new DpoLoss(only(DpoLossType.SFT)).compute(b);
        double nll = (6.0 + 1.0) / (3 + 1);
        assertArrayEquals(new double[] {nll, nll}, r.perPair(), 1e-15);
        assertEquals(nll, r.loss(), 1e-15);
        assertArrayEquals(new double[] {-0.25, -0.25}, r.chosenTokenLogpSumGradient(), 1e-15);
        assertArrayEquals(new double[2], r.policyChosenGradient());
        assertGradientsMatchFiniteDifferences(new DpoLoss(only(DpoLossType.SFT)),
                b, "sft");
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void weightedCombinationIsTheWeightedSumOfTheMeans(String model) {
        DpoGolden g = DpoGolden.load(model);
        DpoLossInput b = g.batch();
        DpoLossConfig mpo = g.config(DpoLossType.SIGMOID).withOptions(Map.of("loss_type", "sigmoid,bco_pair,sft",
                "loss_weights", List.of(0.8, 0.2, 1.0)));
        DpoLoss.Result r = new DpoLoss(mpo).compute(b);
        DpoLoss.Result sigmoid = new DpoLoss(g.config(DpoLossType.SIGMOID)).compute(b);
        DpoLoss.Result bco = new DpoLoss(g.config(DpoLossType.BCO_PAIR)).compute(b);
        DpoLoss.Result sft = new DpoLoss(g.config(DpoLossType.SFT)).compute(b);
        assertEquals(0.8 * g.mean(DpoLossType.SIGMOID) + 0.2 * g.mean(DpoLossType.BCO_PAIR) + sft.loss(), r.loss(),
                1e-12);
        assertEquals(3, r.terms().size());
        assertEquals(0.2, r.term(DpoLossType.BCO_PAIR).weight());
        assertArrayEquals(g.perPair(DpoLossType.BCO_PAIR), r.term(DpoLossType.BCO_PAIR).perItem(), 1e-12);
        for (int i = 0; i < b.size(); i++) {
            assertEquals(0.8 * sigmoid.policyChosenGradient()[i] + 0.2 * bco.policyChosenGradient()[i],
                    r.policyChosenGradient()[i], 1e-15);
            assertEquals(0.8 * sigmoid.policyRejectedGradient()[i] + 0.2 * bco.policyRejectedGradient()[i],
                    r.policyRejectedGradient()[i], 1e-15);
            assertEquals(sft.chosenTokenLogpSumGradient()[i], r.chosenTokenLogpSumGradient()[i], 1e-15);
        }
        double perPairMean = 0;
        for (double v : r.perPair()) {
            perPairMean += v / b.size();
        }
        assertEquals(r.loss(), perPairMean, 1e-12);
        assertGradientsMatchFiniteDifferences(new DpoLoss(mpo), b, model + " mpo");
    }

    // ---------------------------------------------------------------------------------------------- f-divergences

    /** The f-DPO score f'(t) at t = e^r, written from the divergences' definitions (not the implementation's form). */
    private static double scoreByHand(FDivergenceType f, double r, double alpha) {
        double t = Math.exp(r);
        return switch (f) {
            case REVERSE_KL -> Math.log(t);
            case FORWARD_KL -> 1 - 1 / t;
            case JS_DIVERGENCE -> Math.log(2 * t / (t + 1));
            case ALPHA_DIVERGENCE -> (Math.pow(t, alpha - 1) - 1) / (alpha - 1);
        };
    }

    @ParameterizedTest
    @EnumSource(FDivergenceType.class)
    void fDivergenceScoresChangeTheScoreDifferenceLosses(FDivergenceType f) {
        double beta = 0.1;
        double alpha = 0.5;
        double eps = 0.1;
        double tau = 0.05;
        DpoLossInput b = DpoLossInput.of(new double[] {-14.8, -28.0, -38.3}, new double[] {-34.7, -29.7, -22.2},
                new double[] {-12.8, -30.3, -41.8}, new double[] {-39.4, -27.5, -20.5}, new int[] {2, 4, 6},
                new int[] {5, 4, 3});
        DpoLossConfig base = DpoLossConfig.defaults().withOptions(Map.of("beta", beta, "label_smoothing", eps,
                "discopop_tau", tau, "f_divergence_type", f, "f_alpha_divergence_coef", alpha));
        for (DpoLossType type : List.of(DpoLossType.SIGMOID, DpoLossType.HINGE, DpoLossType.IPO, DpoLossType.EXO_PAIR,
                DpoLossType.ROBUST, DpoLossType.DISCOPOP, DpoLossType.SIGMOID_NORM)) {
            DpoLoss loss = new DpoLoss(base.withOptions(Map.of("loss_type", List.of(type))));
            DpoLoss.Result r = loss.compute(b);
            for (int i = 0; i < b.size(); i++) {
                double sc = scoreByHand(f, b.policyChosenLogps()[i] - b.refChosenLogps()[i], alpha);
                double sr = scoreByHand(f, b.policyRejectedLogps()[i] - b.refRejectedLogps()[i], alpha);
                double z = beta * (sc - sr);
                double p = 1 / (1 + Math.exp(-z));
                double want = switch (type) {
                    case SIGMOID -> -Math.log(p);
                    case HINGE -> Math.max(0, 1 - z);
                    case IPO -> Math.pow(sc / b.chosenLengths()[i] - sr / b.rejectedLengths()[i] - 1 / (2 * beta), 2);
                    case EXO_PAIR -> p * Math.log(p / (1 - eps)) + (1 - p) * Math.log((1 - p) / eps);
                    case ROBUST -> ((1 - eps) * -Math.log(p) - eps * -Math.log(1 - p)) / (1 - 2 * eps);
                    case DISCOPOP -> {
                        double m = 1 / (1 + Math.exp(-z / tau));
                        yield -Math.log(p) * (1 - m) + Math.exp(-z) * m;
                    }
                    case SIGMOID_NORM -> -Math.log(1 / (1 + Math.exp(-beta
                            * (sc / b.chosenLengths()[i] - sr / b.rejectedLengths()[i]))));
                    default -> throw new IllegalStateException();
                };
                assertEquals(want, r.perPair()[i], 1e-12 * Math.max(1, Math.abs(want)), f + " " + type + " pair " + i);
            }
            assertGradientsMatchFiniteDifferences(loss, b, f + " " + type);
        }
    }

    @Test
    void alphaDivergenceFallsBackToReverseKlAtAlphaOneAndClampsItsExponent() {
        DpoLossInput b = DpoLossInput.of(new double[] {-10}, new double[] {-20}, new double[] {-12}, new double[] {-15},
                new int[] {3}, new int[] {4});
        DpoLossConfig reverse = DpoLossConfig.defaults();
        DpoLossConfig alphaOne = reverse.withOptions(Map.of("f_divergence_type", "alpha_divergence",
                "f_alpha_divergence_coef", 1.0));
        assertEquals(new DpoLoss(reverse).compute(b).loss(), new DpoLoss(alphaOne).compute(b).loss(), 1e-15);
        // log-ratio 200 with α = 2: exponent (α-1)·200 = 200 is clamped at 80, and the clamped score has no gradient
        DpoLossInput huge = DpoLossInput.of(new double[] {0}, new double[] {-5}, new double[] {-200}, new double[] {-5},
                new int[] {1}, new int[] {1});
        DpoLoss clamped = new DpoLoss(reverse.withOptions(Map.of("f_divergence_type", "alpha_divergence",
                "f_alpha_divergence_coef", 2.0, "loss_type", "hinge")));
        DpoLoss.Result r = clamped.compute(huge);
        assertEquals(Math.max(0, 1 - 0.1 * Math.expm1(80)), r.loss(), 1e-9);
        assertEquals(0.0, r.policyChosenGradient()[0]);
    }

    @Test
    void fDivergenceIsRefusedForLossesOutsideTheScoreDifferenceFamily() {
        for (DpoLossType type : List.of(DpoLossType.NCA_PAIR, DpoLossType.BCO_PAIR, DpoLossType.SPPO_HARD,
                DpoLossType.AOT, DpoLossType.AOT_UNPAIRED, DpoLossType.APO_ZERO, DpoLossType.APO_DOWN,
                DpoLossType.TYPO)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DpoLossConfig.defaults()
                    .withOptions(Map.of("loss_type", List.of(DpoLossType.SIGMOID, type), "f_divergence_type", "js_divergence")));
            assertTrue(e.getMessage().contains(type.trlName()) && e.getMessage().contains("reverse_kl"),
                    e.getMessage());
        }
    }

    // ---------------------------------------------------------------------------------------------- LD-DPO

    /** Pair 0: chosen has 3 completion tokens after a 2-token prompt, rejected 5; pair 1: chosen 2, rejected 1. */
    private static final boolean[][] CHOSEN_MASK = {
            {false, false, true, true, true, false, false},
            {false, true, true, false}};
    private static final boolean[][] REJECTED_MASK = {
            {false, false, true, true, true, true, true},
            {false, false, true, false}};
    private static final double[][] POLICY_CHOSEN_TOKENS = {
            {-9, -9, -1.0, -2.0, -3.0, 77, Double.NaN},
            {-9, -0.5, -0.25, 55}};
    private static final double[][] POLICY_REJECTED_TOKENS = {
            {-9, -9, -0.5, -1.0, -1.5, -2.0, -2.5},
            {-9, -9, -4.0, 33}};
    private static final double[][] REF_CHOSEN_TOKENS = {
            {0, 0, -1.5, -2.0, -2.0, 0, 0},
            {0, -1.0, -0.5, 0}};
    private static final double[][] REF_REJECTED_TOKENS = {
            {0, 0, -0.5, -0.5, -1.5, -1.5, -1.0},
            {0, 0, -3.0, 0}};

    @Test
    void ldAlphaWeightsTheTokensBeyondTheSharedLength() {
        CompletionLogpReduction ld = CompletionLogpReduction.lengthDesensitized(CHOSEN_MASK, REJECTED_MASK, 0.25);
        // pair 0: shared length 3, the rejected response's tokens 4 and 5 are verbose; pair 1: shared length 1
        assertArrayEquals(new double[] {0, 0, 1, 1, 1, 0, 0}, ld.chosenCoefficients()[0]);
        assertArrayEquals(new double[] {0, 0, 1, 1, 1, 0.25, 0.25}, ld.rejectedCoefficients()[0]);
        assertArrayEquals(new double[] {0, 1, 0.25, 0}, ld.chosenCoefficients()[1]);
        assertArrayEquals(new double[] {0, 0, 1, 0}, ld.rejectedCoefficients()[1]);
        assertArrayEquals(new double[] {-6.0, -0.5 + 0.25 * -0.25}, ld.chosenLogps(POLICY_CHOSEN_TOKENS), 1e-15);
        assertArrayEquals(new double[] {-3.0 + 0.25 * -4.5, -4.0}, ld.rejectedLogps(POLICY_REJECTED_TOKENS), 1e-15);
        assertArrayEquals(new double[] {-6.0, -0.75}, ld.chosenTokenLogpSums(POLICY_CHOSEN_TOKENS), 1e-15);
        assertArrayEquals(new int[] {3, 2}, ld.chosenLengths());
        assertArrayEquals(new int[] {5, 1}, ld.rejectedLengths());

        CompletionLogpReduction one = CompletionLogpReduction.lengthDesensitized(CHOSEN_MASK, REJECTED_MASK, 1.0);
        CompletionLogpReduction sum = CompletionLogpReduction.sum(CHOSEN_MASK, REJECTED_MASK);
        assertArrayEquals(sum.rejectedLogps(POLICY_REJECTED_TOKENS), one.rejectedLogps(POLICY_REJECTED_TOKENS));
        assertArrayEquals(new double[] {-7.5, -4.0}, sum.rejectedLogps(POLICY_REJECTED_TOKENS), 1e-15);
        CompletionLogpReduction zero = CompletionLogpReduction.lengthDesensitized(CHOSEN_MASK, REJECTED_MASK, 0.0);
        assertArrayEquals(new double[] {-3.0, -4.0}, zero.rejectedLogps(POLICY_REJECTED_TOKENS), 1e-15);
    }

    @Test
    void tokenGradientsMatchFiniteDifferencesThroughTheReduction() {
        for (DpoLossConfig config : List.of(
                DpoLossConfig.defaults().withOptions(Map.of("loss_type", "sigmoid,sft", "loss_weights", List.of(1.0, 0.5))),
                DpoLossConfig.defaults().withOptions(Map.of("loss_type", "sigmoid_norm,sft", "ld_alpha", 0.25)),
                DpoLossConfig.defaults().withOptions(Map.of("loss_type", "aot_unpaired", "ld_alpha", 0.5, "label_smoothing", 0.1)))) {
            CompletionLogpReduction reduction = CompletionLogpReduction.of(config, CHOSEN_MASK, REJECTED_MASK);
            DpoLoss loss = new DpoLoss(config);
            Function<double[][][], Double> lossOfTokens = tokens -> loss.compute(reduction.batch(tokens[0], tokens[1],
                    REF_CHOSEN_TOKENS, REF_REJECTED_TOKENS)).loss();
            double[][][] tokens = {deepCopy(POLICY_CHOSEN_TOKENS), deepCopy(POLICY_REJECTED_TOKENS)};
            CompletionLogpReduction.TokenGradients grads = reduction.tokenGradients(loss.compute(
                    reduction.batch(tokens[0], tokens[1], REF_CHOSEN_TOKENS, REF_REJECTED_TOKENS)));
            double[][][] analytic = {grads.chosen(), grads.rejected()};
            for (int side = 0; side < 2; side++) {
                for (int i = 0; i < tokens[side].length; i++) {
                    for (int t = 0; t < tokens[side][i].length; t++) {
                        boolean inCompletion = (side == 0 ? CHOSEN_MASK : REJECTED_MASK)[i][t];
                        if (!inCompletion) {
                            assertEquals(0.0, analytic[side][i][t], config + " outside the completion");
                            continue;
                        }
                        double x = tokens[side][i][t];
                        double h = 1e-6;
                        tokens[side][i][t] = x + h;
                        double up = lossOfTokens.apply(tokens);
                        tokens[side][i][t] = x - h;
                        double down = lossOfTokens.apply(tokens);
                        tokens[side][i][t] = x;
                        assertEquals((up - down) / (2 * h), analytic[side][i][t], 1e-8,
                                config.lossType() + " ld_alpha " + config.ldAlpha() + " side " + side + " [" + i + "]["
                                        + t + "]");
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- WPO

    @Test
    void wpoAlignsEachTokenByItsTotalSquaredProbability() {
        float[] logits = {1.0f, -2.0f, 0.5f, 3.0f, /* second row */ 0, 0, 0, 0};
        double z = Math.exp(1.0) + Math.exp(-2.0) + Math.exp(0.5) + Math.exp(3.0);
        double squares = 0;
        for (double l : new double[] {1.0, -2.0, 0.5, 3.0}) {
            squares += Math.pow(Math.exp(l) / z, 2);
        }
        assertEquals(Math.log(squares), WpoWeighting.logSumSquaredProbs(logits, 0, 4), 1e-14);
        assertEquals(Math.log(0.25), WpoWeighting.logSumSquaredProbs(logits, 4, 4), 1e-14);
        // a uniform distribution's tokens have log p = log Σ p², so its weight is 1; masked positions are ignored
        double[] w = WpoWeighting.sequenceWeights(
                new double[][] {{Math.log(0.25), Math.log(0.25), 5}, {-1.0, -3.0, 0}, {0, 0, 0}},
                new double[][] {{Math.log(0.25), Math.log(0.25), 0}, {-2.0, -2.0, 0}, {0, 0, 0}},
                new boolean[][] {{true, true, false}, {true, true, false}, {false, false, false}});
        assertArrayEquals(new double[] {1.0, Math.exp((1.0 - 1.0) / 2), 1.0}, w, 1e-15);
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void wpoMultipliesEachPairLossByItsConstantWeights(String model) {
        DpoGolden g = DpoGolden.load(model);
        double[] chosenWeights = {0.5, 0.9, 0.2};
        double[] rejectedWeights = {0.3, 0.7, 1.1};
        DpoLossInput weighted = g.batch().withWpoWeights(chosenWeights, rejectedWeights);
        for (DpoLossType type : List.of(DpoLossType.SIGMOID, DpoLossType.IPO, DpoLossType.BCO_PAIR, DpoLossType.SFT,
                DpoLossType.TYPO)) {
            DpoLossConfig config = g.config(type).withOptions(Map.of("use_weighting", true));
            DpoLoss.Result plain = new DpoLoss(g.config(type)).compute(g.batch());
            DpoLoss.Result r = new DpoLoss(config).compute(weighted);
            for (int i = 0; i < 3; i++) {
                assertEquals(plain.perPair()[i] * chosenWeights[i] * rejectedWeights[i], r.perPair()[i], 1e-12);
            }
            assertGradientsMatchFiniteDifferences(new DpoLoss(config), weighted, model + " wpo " + type);
        }
    }

    // ---------------------------------------------------------------------------------------------- reference_free, BCO

    @ParameterizedTest
    @FieldSource("MODELS")
    void referenceFreeTakesTheReferenceLogProbabilitiesAsZero(String model) {
        DpoGolden g = DpoGolden.load(model);
        DpoLossInput b = g.batch();
        DpoLossInput zeroRef = DpoLossInput.of(b.policyChosenLogps(), b.policyRejectedLogps(), new double[b.size()],
                new double[b.size()], b.chosenLengths(), b.rejectedLengths());
        for (DpoLossType type : DpoLossType.values()) {
            DpoLoss.Result free = new DpoLoss(g.config(type).withOptions(Map.of("reference_free", true))).compute(b);
            DpoLoss.Result zero = new DpoLoss(g.config(type)).compute(zeroRef);
            assertArrayEquals(zero.perPair(), free.perPair(), 0, type.trlName());
            assertArrayEquals(zero.policyChosenGradient(), free.policyChosenGradient(), 0, type.trlName());
            assertArrayEquals(zero.chosenRewards(), free.chosenRewards(), 0, type.trlName());
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void bcoRewardShiftIsTheRunningMeanOfBatchRewards(String model) {
        DpoGolden g = DpoGolden.load(model);
        DpoLoss loss = new DpoLoss(g.config(DpoLossType.BCO_PAIR));
        DpoLossInput first = g.batch();
        DpoLossInput second = DpoLossInput.of(new double[] {-3, -4, -5}, new double[] {-6, -2, -9}, new double[] {-4, -4, -4},
                new double[] {-5, -5, -5}, new int[] {1, 1, 1}, new int[] {1, 1, 1});
        BcoRewardShift shift = new BcoRewardShift();
        DpoLoss.Result r1 = loss.compute(first, shift);
        double m1 = meanReward(r1);
        assertEquals(m1, shift.mean(), 1e-15);
        assertEqualsBcoByHand(first, g.beta(), m1, r1);
        assertNotEquals(g.mean(DpoLossType.BCO_PAIR), r1.loss(), "the shift changes TRL 1.13's unshifted value");
        DpoLoss.Result r2 = loss.compute(second, shift);
        double m2 = meanReward(r2);
        assertEquals((m1 + m2) / 2, shift.mean(), 1e-15);
        assertEqualsBcoByHand(second, g.beta(), (m1 + m2) / 2, r2);
        // the gradient treats δ as a constant: with a long history δ barely moves, so finite differences agree
        BcoRewardShift settled = new BcoRewardShift(0.05, 1e15);
        DpoLoss.Result r = loss.compute(first, settled);
        double h = 1e-6;
        double[] pc = first.policyChosenLogps().clone();
        pc[1] += h;
        double up = loss.compute(withPolicy(first, pc, first.policyRejectedLogps()), new BcoRewardShift(0.05, 1e15))
                .loss();
        pc[1] -= 2 * h;
        double down = loss.compute(withPolicy(first, pc, first.policyRejectedLogps()), new BcoRewardShift(0.05, 1e15))
                .loss();
        assertEquals((up - down) / (2 * h), r.policyChosenGradient()[1], 1e-8);
        assertThrows(IllegalArgumentException.class,
                () -> new DpoLoss(g.config(DpoLossType.SIGMOID)).compute(first, new BcoRewardShift()));
    }

    private static double meanReward(DpoLoss.Result r) {
        double sum = 0;
        for (int i = 0; i < r.chosenRewards().length; i++) {
            sum += r.chosenRewards()[i] + r.rejectedRewards()[i];
        }
        return sum / (2 * r.chosenRewards().length);
    }

    private static void assertEqualsBcoByHand(DpoLossInput b, double beta, double delta, DpoLoss.Result r) {
        for (int i = 0; i < b.size(); i++) {
            double cr = beta * (b.policyChosenLogps()[i] - b.refChosenLogps()[i]);
            double rr = beta * (b.policyRejectedLogps()[i] - b.refRejectedLogps()[i]);
            double want = Math.log1p(Math.exp(-(cr - delta))) + Math.log1p(Math.exp(rr - delta));
            assertEquals(want, r.perPair()[i], 1e-12);
        }
    }

    // ---------------------------------------------------------------------------------------------- validation

    @Test
    void unknownLossTypeNamesTheValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DpoLossType.fromName("kto_pair"));
        assertTrue(e.getMessage().contains("'kto_pair'") && e.getMessage().contains("sigmoid, hinge, ipo")
                && e.getMessage().contains("sigmoid_norm, typo"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> only("sigmoid,nope"));
        assertEquals(DpoLossType.AOT_UNPAIRED, DpoLossType.fromName("aot_unpaired"));
        assertEquals(FDivergenceType.JS_DIVERGENCE, FDivergenceType.fromName("js_divergence"));
        assertThrows(IllegalArgumentException.class, () -> FDivergenceType.fromName("chi2"));
    }

    @Test
    void badConfigurationsAreRefusedWithTheReason() {
        assertRefused("loss_weights has 1 weights for 2 loss types",
                Map.of("loss_type", "sigmoid,sft", "loss_weights", List.of(1.0)));
        assertRefused("beta must be finite and > 0, got -0.1", Map.of("beta", -0.1));
        assertRefused("beta must be finite and > 0, got 0.0", Map.of("beta", 0.0));
        assertRefused("loss_type needs at least one", Map.of("loss_type", List.of()));
        assertRefused("'robust' needs label_smoothing in [0, 0.5)",
                Map.of("loss_type", "robust", "label_smoothing", 0.5));
        assertRefused("'exo_pair' needs label_smoothing in (0, 1)",
                Map.of("loss_type", "exo_pair"));
        assertRefused("use_weighting (WPO) is not defined for 'aot'",
                Map.of("loss_type", "aot", "use_weighting", true));
        assertRefused("ld_alpha must be in [0, 1], got 1.5", Map.of("ld_alpha", 1.5));
        assertRefused("discopop_tau must be finite and > 0", Map.of("discopop_tau", 0.0));
        assertRefused("typo_lambda must be finite and >= 0", Map.of("typo_lambda", -1.0));
        assertRefused("loss_weights must be finite",
                Map.of("loss_weights", List.of(Double.NaN)));
    }

    @Test
    void batchesInconsistentWithTheConfigurationAreRefused() {
        double[] one = {-1};
        assertThrows(IllegalArgumentException.class, () -> DpoLossInput.of(one, new double[] {-1, -2}, one, one,
                new int[] {1}, new int[] {1}));
        assertThrows(IllegalArgumentException.class, () -> DpoLossInput.of(new double[0], new double[0], new double[0],
                new double[0], new int[0], new int[0]));
        assertThrows(IllegalArgumentException.class, () -> DpoLossInput.of(new double[] {Double.NaN}, one, one, one,
                new int[] {1}, new int[] {1}));
        DpoLossInput b = DpoLossInput.of(one, one, one, one, new int[] {1}, new int[] {1});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DpoLoss(DpoLossConfig.defaults().withOptions(Map.of("use_weighting", true))).compute(b));
        assertTrue(e.getMessage().contains("no WPO weights"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new DpoLoss(DpoLossConfig.defaults()).compute(b.withWpoWeights(one, one)));
        DpoLossInput noTokens = DpoLossInput.of(one, one, one, one, new int[] {0}, new int[] {1});
        assertThrows(IllegalArgumentException.class,
                () -> new DpoLoss(only(DpoLossType.SFT)).compute(noTokens));
    }

    private static void assertRefused(String reason, Map<String, ?> options) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DpoLossConfig.defaults().withOptions(options));
        assertTrue(e.getMessage().contains(reason), "message '" + e.getMessage() + "' should say: " + reason);
    }

    @Test
    void defaultsAreTrls() {
        DpoLossConfig c = DpoLossConfig.defaults();
        assertEquals(0.1, c.beta());
        assertEquals(0.0, c.labelSmoothing());
        assertEquals(List.of(DpoLossType.SIGMOID), c.lossType());
        assertNull(c.lossWeights());
        assertEquals(1.0, c.lossWeight(0));
        assertEquals(FDivergenceType.REVERSE_KL, c.fDivergenceType());
        assertEquals(0.5, c.fAlphaDivergenceCoef());
        assertEquals(0.05, c.discopopTau());
        assertNull(c.ldAlpha());
        assertEquals(false, c.useWeighting());
        assertEquals(false, c.referenceFree());
    }

    // ---------------------------------------------------------------------------------------------- helpers

    /** TRL's defaults with the one loss type (or a comma-separated list) {@code type}. */
    private static DpoLossConfig only(Object type) {
        return DpoLossConfig.defaults().withOptions(Map.of("loss_type", type instanceof DpoLossType t ? t.trlName() : type));
    }

    private static double relativeError(double actual, double expected) {
        return Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
    }

    private static DpoLossInput withPolicy(DpoLossInput b, double[] chosen, double[] rejected) {
        return new DpoLossInput(chosen, rejected, b.refChosenLogps(), b.refRejectedLogps(), b.chosenLengths(),
                b.rejectedLengths(), b.policyChosenTokenLogpSums(), b.chosenWeights(), b.rejectedWeights());
    }

    /**
     * Checks the analytic gradient of the mean loss with respect to every policy input (chosen and rejected
     * log-probabilities, chosen token sums) against central differences with step 1e-6.
     */
    static void assertGradientsMatchFiniteDifferences(DpoLoss loss, DpoLossInput b, String label) {
        DpoLoss.Result r = loss.compute(b);
        double[][] analytic = {r.policyChosenGradient(), r.policyRejectedGradient(), r.chosenTokenLogpSumGradient()};
        for (int which = 0; which < 3; which++) {
            for (int i = 0; i < b.size(); i++) {
                double h = 1e-6;
                double up = loss.compute(perturbed(b, which, i, h)).loss();
                double down = loss.compute(perturbed(b, which, i, -h)).loss();
                double numeric = (up - down) / (2 * h);
                double tolerance = 1e-8 * Math.max(1, Math.abs(r.loss()));
                assertEquals(numeric, analytic[which][i], tolerance,
                        label + ": gradient " + (which == 0 ? "chosen" : which == 1 ? "rejected" : "token sum")
                                + " [" + i + "]");
            }
        }
    }

    private static DpoLossInput perturbed(DpoLossInput b, int which, int i, double h) {
        double[] pc = b.policyChosenLogps().clone();
        double[] pr = b.policyRejectedLogps().clone();
        double[] sums = b.policyChosenTokenLogpSums().clone();
        (which == 0 ? pc : which == 1 ? pr : sums)[i] += h;
        return new DpoLossInput(pc, pr, b.refChosenLogps(), b.refRejectedLogps(), b.chosenLengths(), b.rejectedLengths(),
                sums, b.chosenWeights(), b.rejectedWeights());
    }

    private static double[][] deepCopy(double[][] a) {
        double[][] out = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i].clone();
        }
        return out;
    }
}
