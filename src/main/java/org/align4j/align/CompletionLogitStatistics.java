package org.align4j.align;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Var;
import org.align4j.tensor.Parallel;
import org.align4j.tensor.Tensor;

/**
 * The policy's next-token distributions at the completion positions of a {@link PreferenceBatch}, summarised as TRL's
 * {@code DPOTrainer} logs them (TRL 1.x, {@code _compute_loss}; detached, no gradient):
 * <ul>
 *   <li>{@code entropy}: mean over every completion token of both halves of H(p) = logsumexp(z) − Σ_v p_v z_v;</li>
 *   <li>{@code mean_token_accuracy}: the fraction of chosen completion tokens whose argmax prediction is the token
 *       (chosen half only, as TRL computes it);</li>
 *   <li>{@code logits/chosen}, {@code logits/rejected}: the mean over the vocabulary of the logits at each completion
 *       position, averaged over the completion tokens of that half (token-weighted).</li>
 * </ul>
 * and, for WPO ({@link WpoWeighting}), log Σ_v p_v² at every completion position. The logits of the completion rows
 * are projected again in chunks (never all at once), from the hidden states the loss already computed.
 */
public final class CompletionLogitStatistics {
    private static final int CHUNK_ELEMENTS = 1 << 21;

    private final int chosenTokens;
    private final int rejectedTokens;
    private final double entropySum;
    private final int chosenCorrect;
    private final double chosenMeanLogitSum;
    private final double rejectedMeanLogitSum;
    private final double[] logSumSquaredProbs;

    private CompletionLogitStatistics(int chosenTokens, int rejectedTokens, double entropySum, int chosenCorrect,
                                      double chosenMeanLogitSum, double rejectedMeanLogitSum,
                                      double[] logSumSquaredProbs) {
        this.chosenTokens = chosenTokens;
        this.rejectedTokens = rejectedTokens;
        this.entropySum = entropySum;
        this.chosenCorrect = chosenCorrect;
        this.chosenMeanLogitSum = chosenMeanLogitSum;
        this.rejectedMeanLogitSum = rejectedMeanLogitSum;
        this.logSumSquaredProbs = logSumSquaredProbs;
    }

    /**
     * The statistics of the policy's hidden states {@code hidden} [2n * seq, dim] with output projection
     * {@code lmHead}; with {@code withSquaredProbs}, also log Σ p² per completion position (for WPO).
     */
    public static CompletionLogitStatistics of(Var hidden, Var lmHead, PreferenceBatch batch,
                                               boolean withSquaredProbs) {
        int[] targets = batch.targets();
        int half = targets.length / 2;
        int[] active = java.util.stream.IntStream.range(0, targets.length).filter(r -> targets[r] >= 0).toArray();
        int vocab = lmHead.value().dim(0);
        double[] entropy = new double[active.length];
        double[] meanLogit = new double[active.length];
        boolean[] correct = new boolean[active.length];
        double[] squared = withSquaredProbs ? new double[targets.length] : null;
        int chunk = Math.max(1, CHUNK_ELEMENTS / vocab);
        for (int r0 = 0; r0 < active.length; r0 += chunk) {
            int[] rows = Arrays.copyOfRange(active, r0, Math.min(active.length, r0 + chunk));
            Tensor logits = Ops.logits(hidden, lmHead, rows);
            int first = r0;
            Parallel.range(rows.length, 4, (from, to) -> {
                float[] z = logits.data();
                for (int j = from; j < to; j++) {
                    int offset = j * vocab;
                    int best = 0;
                    double max = Double.NEGATIVE_INFINITY;
                    double sum = 0;
                    for (int v = 0; v < vocab; v++) {
                        double x = z[offset + v];
                        sum += x;
                        if (x > max) {
                            max = x;
                            best = v;
                        }
                    }
                    double expSum = 0;
                    double weighted = 0;
                    for (int v = 0; v < vocab; v++) {
                        double e = Math.exp(z[offset + v] - max);
                        expSum += e;
                        weighted += e * z[offset + v];
                    }
                    int i = first + j;
                    entropy[i] = max + Math.log(expSum) - weighted / expSum;
                    meanLogit[i] = sum / vocab;
                    correct[i] = best == targets[rows[j]];
                    if (squared != null) {
                        squared[rows[j]] = WpoWeighting.logSumSquaredProbs(z, offset, vocab);
                    }
                }
            });
        }
        int chosenTokens = 0;
        int correctCount = 0;
        double entropySum = 0;
        double chosenLogits = 0;
        double rejectedLogits = 0;
        for (int i = 0; i < active.length; i++) {
            entropySum += entropy[i];
            if (active[i] < half) {
                chosenTokens++;
                chosenLogits += meanLogit[i];
                correctCount += correct[i] ? 1 : 0;
            } else {
                rejectedLogits += meanLogit[i];
            }
        }
        return new CompletionLogitStatistics(chosenTokens, active.length - chosenTokens, entropySum, correctCount,
                chosenLogits, rejectedLogits, squared);
    }

    /**
     * TRL's metrics under their names, in the order TRL documents them: {@code entropy}, {@code mean_token_accuracy},
     * {@code logits/chosen}, {@code logits/rejected}; a metric over no token (e.g. every chosen completion truncated
     * away) is left out rather than logged as NaN.
     */
    public Map<String, Double> metrics() {
        Map<String, Double> m = new LinkedHashMap<>();
        int tokens = chosenTokens + rejectedTokens;
        if (tokens > 0) {
            m.put("entropy", entropySum / tokens);
        }
        if (chosenTokens > 0) {
            m.put("mean_token_accuracy", (double) chosenCorrect / chosenTokens);
            m.put("logits/chosen", chosenMeanLogitSum / chosenTokens);
        }
        if (rejectedTokens > 0) {
            m.put("logits/rejected", rejectedMeanLogitSum / rejectedTokens);
        }
        return m;
    }

    /**
     * log Σ_v p_v² per row position [2n * seq] (0 outside the completions), for {@link WpoWeighting#sequenceWeights}.
     *
     * @throws IllegalStateException when the statistics were computed without them
     */
    public double[] logSumSquaredProbs() {
        if (logSumSquaredProbs == null) {
            throw new IllegalStateException("computed without log sum p^2 (withSquaredProbs false)");
        }
        return logSumSquaredProbs;
    }
}
