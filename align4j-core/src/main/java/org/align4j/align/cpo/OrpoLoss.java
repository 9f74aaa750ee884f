package org.align4j.align.cpo;

import java.util.LinkedHashMap;
import java.util.Map;
import org.align4j.align.Logistic;

/**
 * TRL's {@code ORPOTrainer.odds_ratio_loss}: Odds Ratio Preference Optimization (Hong, Lee and Thorne 2024, "ORPO:
 * Monolithic Preference Optimization without Reference Model", eq. 6-7). With r the mean token log-probability of a
 * completion, the log odds ratio is x = (r_w − r_l) − (log(1 − e^{r_w}) − log(1 − e^{r_l})), the pair's loss
 * −β log σ(x), and the total loss the chosen sequences' negative log-likelihood (over prompt and completion, as TRL
 * computes it) plus the mean pair loss. Logged besides TRL's common metrics: {@code log_odds_ratio} (mean log σ(x))
 * and {@code log_odds_chosen} (mean x).
 */
public final class OrpoLoss implements PairLoss {
    private static final double LN_HALF = -0.6931471805599453;
    private final double beta;

    /** The loss with TRL's {@code beta} (λ in the paper). */
    public OrpoLoss(double beta) {
        this.beta = beta;
    }

    @Override
    public Result compute(double[] chosen, double[] rejected) {
        int n = chosen.length;
        double[] losses = new double[n];
        double[] dChosen = new double[n];
        double[] dRejected = new double[n];
        double[] chosenRewards = new double[n];
        double[] rejectedRewards = new double[n];
        double ratioSum = 0;
        double oddsSum = 0;
        for (int i = 0; i < n; i++) {
            double x = chosen[i] - rejected[i] - (log1mexp(chosen[i]) - log1mexp(rejected[i]));
            double ratio = Logistic.logSigmoid(x);
            losses[i] = -beta * ratio;
            double dx = -beta * Logistic.sigmoid(-x) / n;
            // d x / d r_w = 1 + e^{r_w} / (1 − e^{r_w}) = 1 / (1 − e^{r_w}); d x / d r_l = −1 / (1 − e^{r_l})
            dChosen[i] = dx / -Math.expm1(chosen[i]);
            dRejected[i] = -dx / -Math.expm1(rejected[i]);
            chosenRewards[i] = beta * chosen[i];
            rejectedRewards[i] = beta * rejected[i];
            ratioSum += ratio;
            oddsSum += x;
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("log_odds_ratio", ratioSum / n);
        metrics.put("log_odds_chosen", oddsSum / n);
        return new Result(losses, dChosen, dRejected, chosenRewards, rejectedRewards, metrics);
    }

    /** log(1 − e^x) for x < 0, as TRL's {@code log1mexp}: branches at −ln 2 to avoid cancellation. */
    static double log1mexp(double x) {
        return x < LN_HALF ? Math.log1p(-Math.exp(x)) : Math.log(-Math.expm1(x));
    }

    @Override
    public boolean averagesTokens() {
        return true;
    }

    @Override
    public double nllWeight() {
        return 1;
    }

    @Override
    public boolean nllOverPrompt() {
        return true;
    }
}
