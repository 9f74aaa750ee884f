package org.align4j.model;

import java.util.Arrays;
import org.align4j.InputException;

/**
 * A batch of token sequences as the model sees it: ids, attention mask (1 = real token, 0 = padding) and
 * position ids, each flattened row-major over [batch, seq].
 *
 * @param batch         number of rows
 * @param seq           sequence length (all rows padded to it)
 * @param inputIds      token ids [batch * seq]
 * @param attentionMask 1 for real tokens, 0 for padding [batch * seq]
 * @param positionIds   position of each token [batch * seq]
 */
public record ModelInput(int batch, int seq, int[] inputIds, int[] attentionMask, int[] positionIds) {

    /** Validates the sizes. */
    public ModelInput {
        int n = batch * seq;
        if (batch <= 0 || seq <= 0) {
            throw new IllegalArgumentException("empty batch: " + batch + " x " + seq);
        }
        if (inputIds.length != n || attentionMask.length != n || positionIds.length != n) {
            throw new IllegalArgumentException("input of " + batch + " x " + seq + " needs " + n
                    + " ids, mask entries and positions; got " + inputIds.length + ", " + attentionMask.length
                    + ", " + positionIds.length);
        }
    }

    /**
     * A batch from rectangular id rows with an optional mask (null: all ones). Positions are 0..seq-1 in every row,
     * as transformers uses when no position_ids are given (right padding).
     */
    public static ModelInput of(int[][] ids, int[][] mask) {
        int batch = ids.length;
        if (batch == 0) {
            throw new InputException("input_ids has no rows");
        }
        int seq = ids[0].length;
        int[] flatIds = new int[batch * seq];
        int[] flatMask = new int[batch * seq];
        int[] positions = new int[batch * seq];
        for (int b = 0; b < batch; b++) {
            if (ids[b].length != seq) {
                throw new InputException("input_ids row " + b + " has " + ids[b].length
                        + " ids, row 0 has " + seq);
            }
            if (mask != null && (mask.length != batch || mask[b].length != seq)) {
                throw new InputException("attention_mask shape differs from input_ids at row " + b);
            }
            System.arraycopy(ids[b], 0, flatIds, b * seq, seq);
            for (int t = 0; t < seq; t++) {
                flatMask[b * seq + t] = mask == null ? 1 : mask[b][t];
                positions[b * seq + t] = t;
            }
        }
        return new ModelInput(batch, seq, flatIds, flatMask, positions);
    }

    /**
     * A batch of prompts of different lengths, left-padded to the longest with {@code padId} (mask 0), and the
     * position ids transformers' {@code generate} derives from the mask: cumsum(mask) − 1 for real tokens, 1 for
     * padding. Each real token thus has the position it would have alone.
     */
    public static ModelInput leftPadded(int[][] rows, int padId) {
        int batch = rows.length;
        if (batch == 0) {
            throw new InputException("input_ids has no rows");
        }
        int seq = 0;
        for (int b = 0; b < batch; b++) {
            if (rows[b].length == 0) {
                throw new InputException("input_ids row " + b + " is empty");
            }
            seq = Math.max(seq, rows[b].length);
        }
        int[] ids = new int[batch * seq];
        int[] mask = new int[batch * seq];
        int[] positions = new int[batch * seq];
        for (int b = 0; b < batch; b++) {
            int pad = seq - rows[b].length;
            for (int t = 0; t < seq; t++) {
                int i = b * seq + t;
                boolean real = t >= pad;
                ids[i] = real ? rows[b][t - pad] : padId;
                mask[i] = real ? 1 : 0;
                positions[i] = real ? t - pad : 1;
            }
        }
        return new ModelInput(batch, seq, ids, mask, positions);
    }

    /** Whether any position is padding. */
    public boolean hasPadding() {
        return Arrays.stream(attentionMask).anyMatch(m -> m == 0);
    }

    /**
     * Next-token targets for the causal LM loss: the target of position t is the id at t+1 when that position is
     * a real token, else -1 (ignored); the last position of each row is ignored.
     */
    public int[] nextTokenTargets() {
        int[] targets = new int[batch * seq];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                int i = b * seq + t;
                targets[i] = t + 1 < seq && attentionMask[i + 1] != 0 ? inputIds[i + 1] : -1;
            }
        }
        return targets;
    }
}
