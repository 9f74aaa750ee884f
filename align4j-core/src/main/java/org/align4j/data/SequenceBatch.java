package org.align4j.data;

import java.util.List;
import org.align4j.model.ModelInput;
import org.align4j.tensor.Tensor;

/**
 * Sequences collated into one right-padded batch: the model input (ids, attention mask, positions 0..len-1 per row)
 * and the next-token targets (position t predicts token t+1 where that token is in the loss, else -1).
 *
 * @param input         the padded model input
 * @param targets       next-token targets, -1 where ignored [batch * seq]
 * @param targetWeights loss weight of each position's target (its sequence's weight), 0 where ignored
 * @param tokens        number of real (non-pad) tokens
 */
public record SequenceBatch(ModelInput input, int[] targets, float[] targetWeights, int tokens) {

    /** Collates {@code sequences}, padding with {@code padId} to the longest one. */
    public static SequenceBatch of(List<TokenizedSequence> sequences, int padId) {
        int batch = sequences.size();
        if (batch == 0) {
            throw new IllegalArgumentException("empty batch");
        }
        int seq = sequences.stream().mapToInt(TokenizedSequence::length).max().orElseThrow();
        if (seq == 0) {
            throw new DataException(sequences.get(0).source() + ": empty sequence");
        }
        int[] ids = new int[batch * seq];
        int[] mask = new int[batch * seq];
        int[] positions = new int[batch * seq];
        int[] targets = new int[batch * seq];
        float[] weights = new float[batch * seq];
        java.util.Arrays.fill(ids, padId);
        java.util.Arrays.fill(targets, -1);
        int tokens = 0;
        for (int b = 0; b < batch; b++) {
            TokenizedSequence s = sequences.get(b);
            for (int t = 0; t < seq; t++) {
                int i = b * seq + t;
                positions[i] = t;
                if (t < s.length()) {
                    ids[i] = s.ids()[t];
                    mask[i] = 1;
                    tokens++;
                    if (t + 1 < s.length() && s.lossMask()[t + 1]) {
                        targets[i] = s.ids()[t + 1];
                        weights[i] = (float) s.weight();
                    }
                }
            }
        }
        return new SequenceBatch(new ModelInput(batch, seq, ids, mask, positions), targets, weights, tokens);
    }

    /** Number of positions that carry a target. */
    public int targetCount() {
        int n = 0;
        for (int t : targets) {
            if (t >= 0) {
                n++;
            }
        }
        return n;
    }

    /**
     * Σ over each row of per-position values [batch * seq] (e.g. token log-probabilities, 0 where there is no target):
     * one value per sequence, its completion's log-probability.
     */
    public double[] rowSums(Tensor perPosition) {
        int seq = input.seq();
        if (perPosition.size() != input.batch() * seq) {
            throw new IllegalArgumentException("expected " + input.batch() * seq + " values, got "
                    + perPosition.size());
        }
        double[] out = new double[input.batch()];
        float[] values = perPosition.data();
        for (int r = 0; r < values.length; r++) {
            out[r / seq] += values[r];
        }
        return out;
    }
}
