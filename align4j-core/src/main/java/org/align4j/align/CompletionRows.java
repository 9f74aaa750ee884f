package org.align4j.align;

import java.util.Arrays;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.TokenStatistics;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.ModelInput;
import org.align4j.tensor.Tensor;

/**
 * Prompt + response rows, right-padded, with the rows of the lm_head that predict each response token: how the
 * online trainers (PPO, GRPO, RLOO) score sampled responses teacher-forced.
 *
 * @param input        the model input (padding masked)
 * @param targets      per flattened row: the response token it predicts, or -1
 * @param responseRows per sequence and response token t: the flattened row at position prompt length − 1 + t
 */
public record CompletionRows(ModelInput input, int[] targets, int[][] responseRows) {
    /** The rows of {@code prompts[b]} followed by {@code responses[b]}. */
    public static CompletionRows of(int[][] prompts, int[][] responses) {
        int batch = prompts.length;
        int seq = 0;
        for (int b = 0; b < batch; b++) {
            seq = Math.max(seq, prompts[b].length + responses[b].length);
        }
        int[][] ids = new int[batch][seq];
        int[][] mask = new int[batch][seq];
        int[] targets = new int[batch * seq];
        Arrays.fill(targets, -1);
        int[][] rows = new int[batch][];
        for (int b = 0; b < batch; b++) {
            int[] sequence = concat(prompts[b], responses[b]);
            System.arraycopy(sequence, 0, ids[b], 0, sequence.length);
            Arrays.fill(mask[b], 0, sequence.length, 1);
            rows[b] = new int[responses[b].length];
            for (int t = 0; t < responses[b].length; t++) {
                int row = b * seq + prompts[b].length - 1 + t;
                rows[b][t] = row;
                targets[row] = responses[b][t];
            }
        }
        return new CompletionRows(ModelInput.of(ids, mask), targets, rows);
    }

    /** {@code prompt} followed by {@code response}. */
    public static int[] concat(int[] prompt, int[] response) {
        int[] sequence = Arrays.copyOf(prompt, prompt.length + response.length);
        System.arraycopy(response, 0, sequence, prompt.length, response.length);
        return sequence;
    }

    /** The flattened row predicting response token {@code token} of {@code sequence}. */
    public int tokenRow(int sequence, int token) {
        return responseRows[sequence][token];
    }

    /** The values at the response rows of {@code sequence} (one value per flattened row in {@code perRow}). */
    public double[] gather(Tensor perRow, int sequence) {
        int[] r = responseRows[sequence];
        double[] out = new double[r.length];
        for (int t = 0; t < r.length; t++) {
            out[t] = perRow.get(r[t]);
        }
        return out;
    }

    /**
     * The log-probability of every response token under {@code model}, its logits divided by {@code temperature}
     * (one value per flattened row, 0 at rows without a target); {@code statistics} (may be null) receives the
     * entropy and argmax of each predicted distribution.
     */
    public Var logProbs(Tape tape, CausalLM model, double temperature, TokenStatistics statistics) {
        Var hidden = model.hiddenStates(tape, input);
        Var scaled = temperature == 1.0 ? hidden : Ops.scale(tape, hidden, (float) (1 / temperature));
        return Ops.tokenLogProbs(tape, scaled, model.lmHead(), targets, statistics);
    }
}
