package org.align4j.data;

/**
 * A tokenized training sequence: its ids and, per token, whether that token is a training target (the completion
 * of a prompt-completion example; every token of plain text).
 *
 * @param ids      token ids
 * @param lossMask lossMask[t] is true when token t is predicted in the loss
 * @param source   where the example came from ({@code file:line}), for error messages
 */
public record TokenizedSequence(int[] ids, boolean[] lossMask, String source) {
    /** Checks that ids and mask have the same length. */
    public TokenizedSequence {
        if (ids.length != lossMask.length) {
            throw new IllegalArgumentException(source + ": " + ids.length + " ids but " + lossMask.length + " mask entries");
        }
    }

    /** Number of tokens. */
    public int length() {
        return ids.length;
    }

    /** Number of tokens that are targets (the first token never is: nothing predicts it). */
    public int targetCount() {
        int n = 0;
        for (int t = 1; t < lossMask.length; t++) {
            if (lossMask[t]) {
                n++;
            }
        }
        return n;
    }

    /** The first {@code maxLength} tokens (TRL's truncation for SFT keeps the start). */
    public TokenizedSequence truncate(int maxLength) {
        if (ids.length <= maxLength) {
            return this;
        }
        return new TokenizedSequence(java.util.Arrays.copyOf(ids, maxLength), java.util.Arrays.copyOf(lossMask, maxLength),
                source);
    }
}
