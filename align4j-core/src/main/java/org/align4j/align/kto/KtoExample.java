package org.align4j.align.kto;

import org.align4j.data.TokenizedSequence;

/**
 * One KTO training example: a prompt and completion whose completion tokens are scored, its label, and the
 * mismatched sequence (the same prompt with another example's completion) that KTO's KL estimate scores.
 *
 * @param sequence   prompt + completion, completion tokens in the loss
 * @param mismatched prompt + the completion of the previous example of its micro-batch, or null when the loss type
 *                   needs no KL estimate
 * @param desirable  the label
 */
public record KtoExample(TokenizedSequence sequence, TokenizedSequence mismatched, boolean desirable) {
}
