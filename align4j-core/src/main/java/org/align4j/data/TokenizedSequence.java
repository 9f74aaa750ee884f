package org.align4j.data;

import java.io.Serializable;

/**
 * A tokenized training sequence: its ids, per token whether that token is a training target (the completion
 * of a prompt-completion example; every token of plain text), and the weight of its tokens in the loss (1 for SFT;
 * the coarse reward of its data source for C-RLFT).
 * Serializable, so that a Spark job can ship it to its executors.
 *
 * @param ids      token ids
 * @param lossMask lossMask[t] is true when token t is predicted in the loss
 * @param source   where the example came from ({@code file:line}), for error messages
 * @param weight   weight of each of its target tokens in the loss (positive)
 */
public record TokenizedSequence(int[] ids, boolean[] lossMask, String source, double weight) implements Serializable {
    /** Checks that ids and mask have the same length and the weight is positive. */
    public TokenizedSequence {
        if (ids.length != lossMask.length) {
            throw new IllegalArgumentException(source + ": " + ids.length + " ids but " + lossMask.length + " mask entries");
        }
        if (!(weight > 0 && Double.isFinite(weight))) {
            throw new IllegalArgumentException(source + ": loss weight must be positive, got " + weight);
        }
    }

    /** A sequence of weight 1. */
    public TokenizedSequence(int[] ids, boolean[] lossMask, String source) {
        this(ids, lossMask, source, 1.0);
    }

    /** The same sequence with another loss weight. */
    public TokenizedSequence withWeight(double newWeight) {
        return new TokenizedSequence(ids, lossMask, source, newWeight);
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
        return truncate(maxLength, TruncationMode.KEEP_START);
    }

    /** At most {@code maxLength} tokens, the start or the end kept as {@code mode} says. */
    public TokenizedSequence truncate(int maxLength, TruncationMode mode) {
        if (ids.length <= maxLength) {
            return this;
        }
        int[] kept = mode.keptRange(ids.length, maxLength);
        return new TokenizedSequence(java.util.Arrays.copyOfRange(ids, kept[0], kept[1]),
                java.util.Arrays.copyOfRange(lossMask, kept[0], kept[1]), source, weight);
    }

    /**
     * Checks that the sequence fits a model of {@code vocabSize} token ids and {@code positions} positions.
     *
     * @param what names the sequence in the message (its source and role)
     * @throws DataException naming {@code what} and the problem
     */
    public void requireFits(int vocabSize, int positions, String what) {
        for (int id : ids) {
            if (id < 0 || id >= vocabSize) {
                throw new DataException(what + ": token id " + id + " is outside the model's vocabulary of "
                        + vocabSize + " ids (do tokenizer, data and model match?)");
            }
        }
        if (length() > positions) {
            throw new DataException(what + ": " + length() + " tokens exceed the model's " + positions
                    + " positions; set max_length");
        }
    }
}
