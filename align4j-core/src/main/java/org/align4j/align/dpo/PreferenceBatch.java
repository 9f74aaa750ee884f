package org.align4j.align.dpo;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToDoubleFunction;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.data.PreferencePair;
import org.align4j.data.SequenceBatch;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.CausalLM;
import org.align4j.model.ModelInput;

/**
 * A micro-batch of preference pairs laid out for one forward pass, as TRL's {@code DPOTrainer} concatenates it: rows
 * [chosen_0 .. chosen_n-1, rejected_0 .. rejected_n-1], right-padded to the longest sequence ({@link SequenceBatch}).
 * Position t of a row carries the target token t+1 when that token is a completion token (TRL's shifted
 * {@code completion_mask}), so the log-probability of a completion is the sum of its row's token log-probabilities.
 *
 * <p>Per-token values are exchanged with {@link CompletionLogpReduction} as [pair][position] arrays; the masks say
 * which positions hold a completion token's log-probability.
 */
public final class PreferenceBatch {
    private final List<PreferencePair> pairs;
    private final SequenceBatch rows;
    private final boolean[][] chosenMask;
    private final boolean[][] rejectedMask;

    private PreferenceBatch(List<PreferencePair> pairs, SequenceBatch rows) {
        this.pairs = pairs;
        this.rows = rows;
        int n = pairs.size();
        int seq = rows.input().seq();
        chosenMask = new boolean[n][seq];
        rejectedMask = new boolean[n][seq];
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < seq; t++) {
                chosenMask[i][t] = rows.targets()[i * seq + t] >= 0;
                rejectedMask[i][t] = rows.targets()[(n + i) * seq + t] >= 0;
            }
        }
    }

    /** The batch of {@code pairs}, padded with {@code padId}. */
    public static PreferenceBatch of(List<PreferencePair> pairs, int padId) {
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("a preference batch needs at least one pair");
        }
        List<TokenizedSequence> sequences = new ArrayList<>(2 * pairs.size());
        pairs.forEach(p -> sequences.add(p.chosen()));
        pairs.forEach(p -> sequences.add(p.rejected()));
        return new PreferenceBatch(List.copyOf(pairs), SequenceBatch.of(sequences, padId));
    }

    /** The pairs, in row order. */
    public List<PreferencePair> pairs() {
        return pairs;
    }

    /** Number of pairs (half the rows). */
    public int size() {
        return pairs.size();
    }

    /** The padded model input of all 2n rows. */
    public ModelInput input() {
        return rows.input();
    }

    /** Next-token targets [2n * seq], -1 outside the completions. */
    public int[] targets() {
        return rows.targets();
    }

    /**
     * Next-token targets [2n * seq] where the chosen rows target every next real token, prompt included (ORPO's
     * negative log-likelihood), and the rejected rows their completion tokens only.
     */
    public int[] targetsWithChosenPrompts() {
        int[] targets = targets().clone();
        ModelInput in = input();
        int seq = in.seq();
        for (int i = 0; i < size(); i++) {
            for (int t = 0; t + 1 < seq; t++) {
                int at = i * seq + t;
                if (in.attentionMask()[at] == 1 && in.attentionMask()[at + 1] == 1) {
                    targets[at] = in.inputIds()[at + 1];
                }
            }
        }
        return targets;
    }

    /** Real (non-padding) tokens of all rows, prompts counted in both rows of a pair (TRL's {@code num_tokens}). */
    public int tokens() {
        return rows.tokens();
    }

    /** Which positions of each chosen row hold a completion token's log-probability, [pair][position]. */
    public boolean[][] chosenMask() {
        return chosenMask;
    }

    /** Which positions of each rejected row hold a completion token's log-probability, [pair][position]. */
    public boolean[][] rejectedMask() {
        return rejectedMask;
    }

    /**
     * The token log-probabilities of {@code model} on this batch, [2n * seq] (0 outside the completions), through the
     * fused lm_head; on an inference tape nothing is kept for backward.
     */
    public Var tokenLogProbs(Tape tape, CausalLM model) {
        return tokenLogProbs(tape, model, model.hiddenStates(tape, input()), null);
    }

    /**
     * {@link #tokenLogProbs(Tape, CausalLM)} from hidden states already computed on {@code tape}, showing the
     * completion positions' logits to {@code observer} (may be null) as the fused lm_head projects them.
     */
    public Var tokenLogProbs(Tape tape, CausalLM model, Var hidden, Ops.LogitsObserver observer) {
        return Ops.tokenLogProbs(tape, hidden, model.lmHead(), targets(), observer);
    }

    /** The chosen rows' values of a per-row-position tensor [2n * seq] as [pair][position]. */
    public double[][] chosenValues(Var perRowPosition) {
        return half(perRowPosition.value().size(), i -> perRowPosition.value().data()[i], 0);
    }

    /** The rejected rows' values of a per-row-position tensor [2n * seq] as [pair][position]. */
    public double[][] rejectedValues(Var perRowPosition) {
        return half(perRowPosition.value().size(), i -> perRowPosition.value().data()[i], 1);
    }

    /** The chosen rows' values of per-row-position values [2n * seq] as [pair][position]. */
    public double[][] chosenValues(double[] perRowPosition) {
        return half(perRowPosition.length, i -> perRowPosition[i], 0);
    }

    /** The rejected rows' values of per-row-position values [2n * seq] as [pair][position]. */
    public double[][] rejectedValues(double[] perRowPosition) {
        return half(perRowPosition.length, i -> perRowPosition[i], 1);
    }

    private double[][] half(int size, IntToDoubleFunction values, int side) {
        int n = size();
        int seq = input().seq();
        if (size != 2 * n * seq) {
            throw new IllegalArgumentException("expected " + 2 * n * seq + " values, got " + size);
        }
        double[][] out = new double[n][seq];
        for (int i = 0; i < n; i++) {
            int row = (side * n + i) * seq;
            for (int t = 0; t < seq; t++) {
                out[i][t] = values.applyAsDouble(row + t);
            }
        }
        return out;
    }

    /** Per-sequence log-probabilities of the chosen and rejected completions. */
    public record SequenceLogps(double[] chosen, double[] rejected) {
    }

    /** The sequence log-probabilities of token log-probabilities [2n * seq] under {@code reduction}. */
    public SequenceLogps sequenceLogps(Var tokenLogps, CompletionLogpReduction reduction) {
        return new SequenceLogps(reduction.chosenLogps(chosenValues(tokenLogps)),
                reduction.rejectedLogps(rejectedValues(tokenLogps)));
    }

    /** The reduction {@code config} asks for ({@code ld_alpha} or plain sums) over this batch's completions. */
    public CompletionLogpReduction reduction(DpoLossConfig config) {
        return CompletionLogpReduction.of(config, chosenMask, rejectedMask);
    }

    /** Per-token gradients [pair][position] laid out as the rows [2n * seq], for {@code Ops.weightedSum}. */
    public float[] rowWeights(CompletionLogpReduction.TokenGradients gradients) {
        int n = size();
        int seq = input().seq();
        float[] w = new float[2 * n * seq];
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < seq; t++) {
                w[i * seq + t] = (float) gradients.chosen()[i][t];
                w[(n + i) * seq + t] = (float) gradients.rejected()[i][t];
            }
        }
        return w;
    }
}
