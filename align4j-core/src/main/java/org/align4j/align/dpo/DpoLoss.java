package org.align4j.align.dpo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.align4j.InputException;
import org.align4j.align.Logistic;

/**
 * The preference losses of TRL's {@code DPOTrainer} (TRL 1.13, {@code _compute_loss}) and TYPO, on per-sequence
 * log-probabilities in double precision, with the analytic gradient of the total loss with respect to every policy
 * input. The formula of each loss, with its paper and equation, is on {@link DpoLossType}; the options are
 * {@link DpoLossConfig}.
 *
 * <p>The total loss is Σ_k weight_k · mean_i(loss_k,i · w_i), w_i the pair's WPO weight (1 without
 * {@code use_weighting}). Its gradient is returned per pair with respect to log π_θ(y_w), log π_θ(y_l) and, for
 * {@code sft}, the plain chosen token sum; {@link CompletionLogpReduction#tokenGradients} turns these into per-token
 * weights for {@code Ops.weightedSum}, so a trainer back-propagates the loss into the model with one weighted sum
 * over the token log-probabilities. Reference log-probabilities, WPO weights and the BCO shift get no gradient (TRL
 * computes them without gradient). The batch-level losses aot and aot_unpaired differentiate through the sort: each
 * rank's loss flows to the pair that holds that rank (ties resolved by a stable sort on the original order).
 *
 * <p>TYPO (Hu, He and Wipf 2024, arXiv 2407.09072) is implemented as this project understands the paper's ℓ_TYPO:
 * a Bradley-Terry likelihood that uses the policy's own log-likelihoods as rewards, with no implicit-reward
 * reparameterisation, plus λ KL(π_ref ‖ π_θ). The paper's analysis draws both responses of a pair from π_ref, so
 * the KL term is estimated on those two responses: λ·½(log π_ref(y_w) - log π_θ(y_w) + log π_ref(y_l) - log π_θ(y_l)),
 * whose expectation over such pairs is λ KL(π_ref ‖ π_θ). Its minimiser is then the Bradley-Terry optimal policy π*
 * for λ → 0 and π_ref for λ → ∞, and it is π_ref for every λ wherever π_ref already equals π* (the paper's
 * preservation desideratum, demonstrated in {@code TypoPreservationTest}). The paper's text was not available when
 * this was written, so the equation number is not cited and the estimator is this project's reading of it.
 */
public final class DpoLoss {
    private final DpoLossConfig config;

    /** The losses of {@code config}. */
    public DpoLoss(DpoLossConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("config is null");
        }
        this.config = config;
    }

    /** The configuration. */
    public DpoLossConfig config() {
        return config;
    }

    /**
     * One loss type's contribution.
     *
     * @param type    the loss type
     * @param weight  its {@code loss_weights} entry
     * @param perItem its value per pair (per rank for aot and aot_unpaired), WPO weights applied, loss weight not
     * @param mean    the mean of {@code perItem}
     */
    public record TermLoss(DpoLossType type, double weight, double[] perItem, double mean) {
    }

    /**
     * The losses, rewards, metrics and gradients of one batch.
     *
     * @param loss                       the total loss Σ_k weight_k · mean_k
     * @param perPair                    Σ_k weight_k · perItem_k per index; its mean is {@code loss}
     * @param terms                      each loss type's contribution, in {@code loss_type} order
     * @param chosenRewards              β(log π_θ(y_w) - log π_ref(y_w)) per pair, detached
     * @param rejectedRewards            β(log π_θ(y_l) - log π_ref(y_l)) per pair, detached
     * @param metrics                    TRL's logged metrics of the batch
     * @param policyChosenGradient       d loss / d log π_θ(y_w) per pair
     * @param policyRejectedGradient     d loss / d log π_θ(y_l) per pair
     * @param chosenTokenLogpSumGradient d loss / d (plain sum of the chosen completion-token log-probabilities) per
     *                                   pair: the {@code sft} term's gradient, equal for every chosen completion token
     */
    public record Result(double loss, double[] perPair, List<TermLoss> terms, double[] chosenRewards,
                         double[] rejectedRewards, DpoMetrics metrics, double[] policyChosenGradient,
                         double[] policyRejectedGradient, double[] chosenTokenLogpSumGradient) {

        /** The contribution of {@code type} (the first, if listed twice). */
        public TermLoss term(DpoLossType type) {
            return terms.stream().filter(t -> t.type() == type).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("loss type " + type + " is not in this result"));
        }
    }

    /** The losses of {@code batch} exactly as TRL 1.13 computes them (bco_pair without reward shift). */
    public Result compute(DpoLossInput batch) {
        return computeWithShift(batch, null);
    }

    /**
     * The losses of {@code batch} with BCO's reward shift on {@code bco_pair}: folds the batch's mean reward into
     * {@code shift} first, then uses its mean as δ (as TRL's {@code bco_pair} did before the DPO refactor).
     */
    public Result compute(DpoLossInput batch, BcoRewardShift shift) {
        if (shift == null) {
            throw new IllegalArgumentException("shift is null; use compute(batch) for no reward shift");
        }
        if (!config.lossType().contains(DpoLossType.BCO_PAIR)) {
            throw new IllegalArgumentException("a BCO reward shift needs loss type 'bco_pair' in " + config.lossType());
        }
        return computeWithShift(batch, shift);
    }

    /** Per-pair quantities shared by the loss types. */
    private record Inputs(int n, double[] policyChosen, double[] policyRejected, double[] refChosen,
                          double[] refRejected, double[] chosenRatios, double[] rejectedRatios,
                          double[] chosenScores, double[] rejectedScores, double[] chosenScoreSlopes,
                          double[] rejectedScoreSlopes, double[] chosenLengths, double[] rejectedLengths) {
    }

    /** A term's per-item values and their derivatives with respect to each pair's policy log-probabilities. */
    private record TermValues(double[] values, double[] dChosen, double[] dRejected) {
        static TermValues of(int n) {
            return new TermValues(new double[n], new double[n], new double[n]);
        }
    }

    /** The losses with BCO's reward shift taken from {@code shift}, or none when it is null. */
    private Result computeWithShift(DpoLossInput batch, BcoRewardShift shift) {
        if (config.useWeighting() != batch.hasWpoWeights()) {
            throw new InputException(config.useWeighting()
                    ? "use_weighting is on but the batch has no WPO weights (see WpoWeighting)"
                    : "the batch has WPO weights but use_weighting is off");
        }
        Inputs in = inputs(batch);
        int n = in.n();
        double beta = config.beta();
        double[] chosenRewards = new double[n];
        double[] rejectedRewards = new double[n];
        for (int i = 0; i < n; i++) {
            chosenRewards[i] = beta * in.chosenRatios()[i];
            rejectedRewards[i] = beta * in.rejectedRatios()[i];
        }
        double bcoShift = 0;
        if (shift != null) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += chosenRewards[i] + rejectedRewards[i];
            }
            bcoShift = shift.update(sum / (2 * n));
        }
        double[] pairWeights = new double[n];
        for (int i = 0; i < n; i++) {
            pairWeights[i] = batch.hasWpoWeights() ? batch.chosenWeights()[i] * batch.rejectedWeights()[i] : 1;
        }
        double[] perPair = new double[n];
        double[] gradChosen = new double[n];
        double[] gradRejected = new double[n];
        double[] gradTokenSums = new double[n];
        double loss = 0;
        List<TermLoss> terms = new ArrayList<>();
        for (int k = 0; k < config.lossType().size(); k++) {
            DpoLossType type = config.lossType().get(k);
            double weight = config.lossWeight(k);
            double[] item;
            if (type == DpoLossType.SFT) {
                item = sft(batch, pairWeights, weight, gradTokenSums);
            } else {
                TermValues t = term(type, in, bcoShift);
                item = t.values();
                for (int i = 0; i < n; i++) {
                    item[i] *= pairWeights[i];
                    gradChosen[i] += weight * pairWeights[i] * t.dChosen()[i] / n;
                    gradRejected[i] += weight * pairWeights[i] * t.dRejected()[i] / n;
                }
            }
            double mean = Arrays.stream(item).sum() / n;
            loss += weight * mean;
            for (int i = 0; i < n; i++) {
                perPair[i] += weight * item[i];
            }
            terms.add(new TermLoss(type, weight, item, mean));
        }
        DpoMetrics metrics = DpoMetrics.of(chosenRewards, rejectedRewards, in.policyChosen(), in.policyRejected());
        return new Result(loss, perPair, List.copyOf(terms), chosenRewards, rejectedRewards, metrics, gradChosen,
                gradRejected, gradTokenSums);
    }

    private Inputs inputs(DpoLossInput batch) {
        int n = batch.size();
        double[] refChosen = config.referenceFree() ? new double[n] : batch.refChosenLogps();
        double[] refRejected = config.referenceFree() ? new double[n] : batch.refRejectedLogps();
        FDivergenceType f = config.fDivergenceType();
        double alpha = config.fAlphaDivergenceCoef();
        double[] u = new double[n];
        double[] v = new double[n];
        double[] su = new double[n];
        double[] sv = new double[n];
        double[] du = new double[n];
        double[] dv = new double[n];
        double[] lc = new double[n];
        double[] lr = new double[n];
        for (int i = 0; i < n; i++) {
            u[i] = batch.policyChosenLogps()[i] - refChosen[i];
            v[i] = batch.policyRejectedLogps()[i] - refRejected[i];
            su[i] = f.score(u[i], alpha);
            sv[i] = f.score(v[i], alpha);
            du[i] = f.scoreDerivative(u[i], alpha);
            dv[i] = f.scoreDerivative(v[i], alpha);
            lc[i] = Math.max(batch.chosenLengths()[i], 1);
            lr[i] = Math.max(batch.rejectedLengths()[i], 1);
        }
        return new Inputs(n, batch.policyChosenLogps(), batch.policyRejectedLogps(), refChosen, refRejected, u, v,
                su, sv, du, dv, lc, lr);
    }

    /**
     * TRL's {@code sft} term: the token-mean NLL of all chosen completion tokens, the same for every pair (times the
     * pair's WPO weight); accumulates its gradient with respect to each chosen token sum into {@code gradTokenSums}.
     */
    private static double[] sft(DpoLossInput batch, double[] pairWeights, double weight, double[] gradTokenSums) {
        int n = batch.size();
        long tokens = 0;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            tokens += batch.chosenLengths()[i];
            sum += batch.policyChosenTokenLogpSums()[i];
        }
        if (tokens == 0) {
            throw new InputException("loss type 'sft' needs at least one chosen completion token");
        }
        double nll = -sum / tokens;
        double[] item = new double[n];
        double weightSum = 0;
        for (int i = 0; i < n; i++) {
            item[i] = nll * pairWeights[i];
            weightSum += pairWeights[i];
        }
        double g = -weight * weightSum / ((double) n * tokens);
        for (int i = 0; i < n; i++) {
            gradTokenSums[i] += g;
        }
        return item;
    }

    private TermValues term(DpoLossType type, Inputs in, double bcoShift) {
        return switch (type) {
            case SIGMOID -> scoreDifference(in, (z, out) -> {
                out[0] = Logistic.softplus(-z);
                out[1] = -Logistic.sigmoid(-z);
            });
            case HINGE -> scoreDifference(in, (z, out) -> {
                out[0] = Math.max(0, 1 - z);
                out[1] = 1 - z > 0 ? -1 : 0;
            });
            case EXO_PAIR -> {
                double eps = config.labelSmoothing();
                double logOdds = Math.log1p(-eps) - Math.log(eps);
                yield scoreDifference(in, (z, out) -> {
                    double qw = Logistic.sigmoid(z);
                    double ql = Logistic.sigmoid(-z);
                    out[0] = qw * (Logistic.logSigmoid(z) - Math.log1p(-eps)) + ql * (Logistic.logSigmoid(-z)
                            - Math.log(eps));
                    out[1] = qw * ql * (z - logOdds);
                });
            }
            case ROBUST -> {
                double eps = config.labelSmoothing();
                yield scoreDifference(in, (z, out) -> {
                    out[0] = ((1 - eps) * Logistic.softplus(-z) - eps * Logistic.softplus(z)) / (1 - 2 * eps);
                    out[1] = (-(1 - eps) * Logistic.sigmoid(-z) - eps * Logistic.sigmoid(z)) / (1 - 2 * eps);
                });
            }
            case DISCOPOP -> {
                double tau = config.discopopTau();
                yield scoreDifference(in, (z, out) -> {
                    double m = Logistic.sigmoid(z / tau);
                    double dm = Logistic.sigmoidDerivative(z / tau) / tau;
                    double logistic = Logistic.softplus(-z);
                    double exp = Math.exp(-z);
                    out[0] = logistic * (1 - m) + exp * m;
                    out[1] = -Logistic.sigmoid(-z) * (1 - m) - logistic * dm - exp * m + exp * dm;
                });
            }
            case IPO -> ipo(in);
            case SIGMOID_NORM -> sigmoidNorm(in);
            case NCA_PAIR -> ncaPair(in);
            case BCO_PAIR -> bcoPair(in, bcoShift);
            case SPPO_HARD -> sppoHard(in);
            case AOT -> aot(in);
            case AOT_UNPAIRED -> aotUnpaired(in);
            case APO_ZERO -> apoZero(in);
            case APO_DOWN -> apoDown(in);
            case TYPO -> typo(in);
            case SFT -> throw new IllegalStateException("sft is computed from token sums");
        };
    }

    /** A loss of z = βΔ: writes the value to out[0] and d value / dz to out[1]. */
    private interface LossOfLogit {
        void apply(double z, double[] out);
    }

    /** A loss of the scaled score difference z = β(s(u) - s(v)), chained to the policy log-probabilities. */
    private TermValues scoreDifference(Inputs in, LossOfLogit loss) {
        double beta = config.beta();
        TermValues t = TermValues.of(in.n());
        double[] out = new double[2];
        for (int i = 0; i < in.n(); i++) {
            loss.apply(beta * (in.chosenScores()[i] - in.rejectedScores()[i]), out);
            t.values()[i] = out[0];
            t.dChosen()[i] = out[1] * beta * in.chosenScoreSlopes()[i];
            t.dRejected()[i] = -out[1] * beta * in.rejectedScoreSlopes()[i];
        }
        return t;
    }

    private TermValues ipo(Inputs in) {
        double beta = config.beta();
        TermValues t = TermValues.of(in.n());
        for (int i = 0; i < in.n(); i++) {
            double d = in.chosenScores()[i] / in.chosenLengths()[i] - in.rejectedScores()[i] / in.rejectedLengths()[i]
                    - 1 / (2 * beta);
            t.values()[i] = d * d;
            t.dChosen()[i] = 2 * d * in.chosenScoreSlopes()[i] / in.chosenLengths()[i];
            t.dRejected()[i] = -2 * d * in.rejectedScoreSlopes()[i] / in.rejectedLengths()[i];
        }
        return t;
    }

    private TermValues sigmoidNorm(Inputs in) {
        double beta = config.beta();
        TermValues t = TermValues.of(in.n());
        for (int i = 0; i < in.n(); i++) {
            double z = beta * (in.chosenScores()[i] / in.chosenLengths()[i]
                    - in.rejectedScores()[i] / in.rejectedLengths()[i]);
            double dz = -Logistic.sigmoid(-z);
            t.values()[i] = Logistic.softplus(-z);
            t.dChosen()[i] = dz * beta * in.chosenScoreSlopes()[i] / in.chosenLengths()[i];
            t.dRejected()[i] = -dz * beta * in.rejectedScoreSlopes()[i] / in.rejectedLengths()[i];
        }
        return t;
    }

    private TermValues ncaPair(Inputs in) {
        double beta = config.beta();
        TermValues t = TermValues.of(in.n());
        for (int i = 0; i < in.n(); i++) {
            double a = beta * in.chosenRatios()[i];
            double b = beta * in.rejectedRatios()[i];
            t.values()[i] = Logistic.softplus(-a) + 0.5 * Logistic.softplus(a) + 0.5 * Logistic.softplus(b);
            t.dChosen()[i] = beta * (-Logistic.sigmoid(-a) + 0.5 * Logistic.sigmoid(a));
            t.dRejected()[i] = beta * 0.5 * Logistic.sigmoid(b);
        }
        return t;
    }

    private TermValues bcoPair(Inputs in, double shift) {
        double beta = config.beta();
        TermValues t = TermValues.of(in.n());
        for (int i = 0; i < in.n(); i++) {
            double a = beta * in.chosenRatios()[i] - shift;
            double b = beta * in.rejectedRatios()[i] - shift;
            t.values()[i] = Logistic.softplus(-a) + Logistic.softplus(b);
            t.dChosen()[i] = -beta * Logistic.sigmoid(-a);
            t.dRejected()[i] = beta * Logistic.sigmoid(b);
        }
        return t;
    }

    private TermValues sppoHard(Inputs in) {
        double half = 0.5 / config.beta();
        TermValues t = TermValues.of(in.n());
        for (int i = 0; i < in.n(); i++) {
            double a = in.chosenRatios()[i] - half;
            double b = in.rejectedRatios()[i] + half;
            t.values()[i] = a * a + b * b;
            t.dChosen()[i] = 2 * a;
            t.dRejected()[i] = 2 * b;
        }
        return t;
    }

    /**
     * AOT's per-rank loss -(1-ε) log σ(βd) - ε log σ(-βd) of the rank-matched differences d_k = sorted(x)_k -
     * sorted(y)_k; returns, per rank, the value and d value / d d_k.
     */
    private double[][] rankLoss(double[] x, double[] y, int[] xOrder, int[] yOrder) {
        double beta = config.beta();
        double eps = config.labelSmoothing();
        int n = x.length;
        double[][] valueAndSlope = new double[2][n];
        for (int k = 0; k < n; k++) {
            double z = beta * (x[xOrder[k]] - y[yOrder[k]]);
            valueAndSlope[0][k] = (1 - eps) * Logistic.softplus(-z) + eps * Logistic.softplus(z);
            valueAndSlope[1][k] = beta * (-(1 - eps) * Logistic.sigmoid(-z) + eps * Logistic.sigmoid(z));
        }
        return valueAndSlope;
    }

    private TermValues aot(Inputs in) {
        int n = in.n();
        double[] margins = new double[n];
        double[] refMargins = new double[n];
        for (int i = 0; i < n; i++) {
            margins[i] = in.policyChosen()[i] - in.policyRejected()[i];
            refMargins[i] = in.refChosen()[i] - in.refRejected()[i];
        }
        int[] order = ascendingOrder(margins);
        double[][] rank = rankLoss(margins, refMargins, order, ascendingOrder(refMargins));
        TermValues t = TermValues.of(n);
        for (int k = 0; k < n; k++) {
            t.values()[k] = rank[0][k];
            t.dChosen()[order[k]] += rank[1][k];
            t.dRejected()[order[k]] -= rank[1][k];
        }
        return t;
    }

    private TermValues aotUnpaired(Inputs in) {
        int n = in.n();
        int[] chosenOrder = ascendingOrder(in.chosenRatios());
        int[] rejectedOrder = ascendingOrder(in.rejectedRatios());
        double[][] rank = rankLoss(in.chosenRatios(), in.rejectedRatios(), chosenOrder, rejectedOrder);
        TermValues t = TermValues.of(n);
        for (int k = 0; k < n; k++) {
            t.values()[k] = rank[0][k];
            t.dChosen()[chosenOrder[k]] += rank[1][k];
            t.dRejected()[rejectedOrder[k]] -= rank[1][k];
        }
        return t;
    }

    private TermValues apoZero(Inputs in) {
        double beta = config.beta();
        TermValues t = TermValues.of(in.n());
        for (int i = 0; i < in.n(); i++) {
            double a = beta * in.chosenRatios()[i];
            double b = beta * in.rejectedRatios()[i];
            t.values()[i] = 1 - Logistic.sigmoid(a) + Logistic.sigmoid(b);
            t.dChosen()[i] = -beta * Logistic.sigmoidDerivative(a);
            t.dRejected()[i] = beta * Logistic.sigmoidDerivative(b);
        }
        return t;
    }

    private TermValues apoDown(Inputs in) {
        double beta = config.beta();
        TermValues t = TermValues.of(in.n());
        for (int i = 0; i < in.n(); i++) {
            double a = beta * in.chosenRatios()[i];
            double m = beta * (in.chosenRatios()[i] - in.rejectedRatios()[i]);
            t.values()[i] = Logistic.sigmoid(a) + 1 - Logistic.sigmoid(m);
            t.dChosen()[i] = beta * (Logistic.sigmoidDerivative(a) - Logistic.sigmoidDerivative(m));
            t.dRejected()[i] = beta * Logistic.sigmoidDerivative(m);
        }
        return t;
    }

    private TermValues typo(Inputs in) {
        double halfLambda = 0.5 * config.typoLambda();
        TermValues t = TermValues.of(in.n());
        for (int i = 0; i < in.n(); i++) {
            double margin = in.policyChosen()[i] - in.policyRejected()[i];
            t.values()[i] = Logistic.softplus(-margin) + halfLambda * (-in.chosenRatios()[i] - in.rejectedRatios()[i]);
            t.dChosen()[i] = -Logistic.sigmoid(-margin) - halfLambda;
            t.dRejected()[i] = Logistic.sigmoid(-margin) - halfLambda;
        }
        return t;
    }

    /** Indices of {@code values} in ascending order of value, ties in index order. */
    private static int[] ascendingOrder(double[] values) {
        return IntStream.range(0, values.length).boxed()
                .sorted(Comparator.comparingDouble(i -> values[i]))
                .mapToInt(Integer::intValue).toArray();
    }
}
