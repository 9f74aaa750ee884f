package org.align4j.model;

import java.util.Arrays;

/**
 * The tokens {@link Generator} produced for a batch of prompts (the prompts themselves are not repeated). All rows
 * have the same number of steps; a row that generated an eos token before the others is filled after it with the
 * pad id, as transformers pads its output.
 *
 * @param tokens   the new tokens of each row [batch][steps]
 * @param logProbs the log-probability of each token under the model's unmodified next-token distribution (log
 *                 softmax of the raw logits, before temperature, top_k or top_p); 0 where a row is filled
 * @param lengths  the number of tokens each row generated before the fill (its eos included)
 */
public record Generation(int[][] tokens, float[][] logProbs, int[] lengths) {

    /** The tokens row {@code row} generated, without the fill. */
    public int[] completion(int row) {
        return Arrays.copyOf(tokens[row], lengths[row]);
    }
}
