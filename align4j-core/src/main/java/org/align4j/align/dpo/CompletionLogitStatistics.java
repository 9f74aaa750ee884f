package org.align4j.align.dpo;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntPredicate;
import org.align4j.autograd.Ops;
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
 * and, for WPO ({@link WpoWeighting}), log Σ_v p_v² at every completion position. It observes the logits the fused
 * lm_head projects anyway ({@link Ops.LogitsObserver}): pass it to
 * {@link PreferenceBatch#tokenLogProbs(org.align4j.autograd.Tape, org.align4j.model.CausalLM,
 * org.align4j.autograd.Var, Ops.LogitsObserver)}, then read the results.
 */
public final class CompletionLogitStatistics implements Ops.LogitsObserver {
    private final int[] targets;
    private final IntPredicate chosen;
    private final double[] entropy;
    private final double[] meanLogit;
    private final boolean[] correct;
    private final boolean[] seen;
    private final double[] logSumSquaredProbs;

    /** Statistics of {@code batch}'s completion positions; with {@code withSquaredProbs}, also log Σ p² (WPO). */
    public CompletionLogitStatistics(PreferenceBatch batch, boolean withSquaredProbs) {
        this(batch.targets(), row -> row < batch.targets().length / 2, withSquaredProbs);
    }

    /**
     * Statistics of the positions of {@code targets} that have a target, {@code chosen} saying which flattened
     * positions belong to chosen (desirable) completions; with {@code withSquaredProbs}, also log Σ p² (WPO).
     */
    public CompletionLogitStatistics(int[] targets, IntPredicate chosen, boolean withSquaredProbs) {
        this.targets = targets;
        this.chosen = chosen;
        entropy = new double[targets.length];
        meanLogit = new double[targets.length];
        correct = new boolean[targets.length];
        seen = new boolean[targets.length];
        logSumSquaredProbs = withSquaredProbs ? new double[targets.length] : null;
    }

    @Override
    public void observe(int[] rows, Tensor logits) {
        int vocab = logits.dim(1);
        float[] z = logits.data();
        Parallel.range(rows.length, 4, (from, to) -> {
            for (int j = from; j < to; j++) {
                int row = rows[j];
                if (targets[row] < 0) {
                    continue;
                }
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
                entropy[row] = max + Math.log(expSum) - weighted / expSum;
                meanLogit[row] = sum / vocab;
                correct[row] = best == targets[row];
                seen[row] = true;
                if (logSumSquaredProbs != null) {
                    logSumSquaredProbs[row] = WpoWeighting.logSumSquaredProbs(z, offset, vocab);
                }
            }
        });
    }

    /**
     * TRL's metrics under their names, in the order TRL documents them: {@code entropy}, {@code mean_token_accuracy},
     * {@code logits/chosen}, {@code logits/rejected}; a metric over no token (e.g. every chosen completion truncated
     * away) is left out rather than logged as NaN.
     *
     * @throws IllegalStateException when a completion position's logits were not observed
     */
    public Map<String, Double> metrics() {
        int chosenTokens = 0;
        int rejectedTokens = 0;
        int chosenCorrect = 0;
        double entropySum = 0;
        double chosenLogits = 0;
        double rejectedLogits = 0;
        for (int r = 0; r < targets.length; r++) {
            if (targets[r] < 0) {
                continue;
            }
            requireSeen(r);
            entropySum += entropy[r];
            if (chosen.test(r)) {
                chosenTokens++;
                chosenLogits += meanLogit[r];
                chosenCorrect += correct[r] ? 1 : 0;
            } else {
                rejectedTokens++;
                rejectedLogits += meanLogit[r];
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        if (chosenTokens + rejectedTokens > 0) {
            m.put("entropy", entropySum / (chosenTokens + rejectedTokens));
        }
        if (chosenTokens > 0) {
            m.put("mean_token_accuracy", (double) chosenCorrect / chosenTokens);
            m.put("logits/chosen", chosenLogits / chosenTokens);
        }
        if (rejectedTokens > 0) {
            m.put("logits/rejected", rejectedLogits / rejectedTokens);
        }
        return m;
    }

    /**
     * How many completion tokens of {@code batch} each of {@link #metrics}' values averages over: both halves for
     * {@code entropy}, the chosen half for {@code mean_token_accuracy} and {@code logits/chosen}, the rejected half
     * for {@code logits/rejected}. The metrics of disjoint batches, averaged with these weights, are those of their
     * union.
     */
    public static Map<String, Integer> tokenCounts(PreferenceBatch batch) {
        int[] targets = batch.targets();
        int half = targets.length / 2;
        int chosenTokens = 0;
        int rejectedTokens = 0;
        for (int r = 0; r < targets.length; r++) {
            if (targets[r] >= 0) {
                if (r < half) {
                    chosenTokens++;
                } else {
                    rejectedTokens++;
                }
            }
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        counts.put("entropy", chosenTokens + rejectedTokens);
        counts.put("mean_token_accuracy", chosenTokens);
        counts.put("logits/chosen", chosenTokens);
        counts.put("logits/rejected", rejectedTokens);
        return counts;
    }

    /**
     * log Σ_v p_v² per row position [2n * seq] (0 outside the completions), for {@link WpoWeighting#sequenceWeights}.
     *
     * @throws IllegalStateException when created without them, or a completion position was not observed
     */
    public double[] logSumSquaredProbs() {
        if (logSumSquaredProbs == null) {
            throw new IllegalStateException("created without log sum p^2 (withSquaredProbs false)");
        }
        for (int r = 0; r < targets.length; r++) {
            if (targets[r] >= 0) {
                requireSeen(r);
            }
        }
        return logSumSquaredProbs;
    }

    private void requireSeen(int row) {
        if (!seen[row]) {
            throw new IllegalStateException("the logits of completion position " + row + " were not observed");
        }
    }
}
