package org.align4j.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from a row of logits as transformers' {@code generate} does: the most likely token when not
 * sampling; otherwise the logits warped in transformers' order (temperature, then top_k, then top_p) and a token drawn
 * from their softmax. Arithmetic is in double precision.
 */
public final class TokenSampler {
    private final GenerationConfig config;

    /** A sampler following {@code config}'s do_sample, temperature, top_k and top_p. */
    public TokenSampler(GenerationConfig config) {
        this.config = config;
    }

    /** The next token for the logits row {@code logits[offset, offset + vocab)}; {@code random} is used when sampling. */
    public int next(float[] logits, int offset, int vocab, SplittableRandom random) {
        if (!config.doSample()) {
            return argmax(logits, offset, vocab);
        }
        return draw(warpedScores(logits, offset, vocab), random);
    }

    /**
     * As {@link #next(float[], int, int, SplittableRandom)} for a row that holds {@code seen} tokens so far (prompt and
     * generated), after transformers' {@code RepetitionPenaltyLogitsProcessor}: each distinct seen token's logit is
     * divided by {@code repetition_penalty} when positive and multiplied by it otherwise, before the warpers.
     */
    public int next(float[] logits, int offset, int vocab, int[] seen, int seenLength, SplittableRandom random) {
        if (config.repetitionPenalty() == 1.0) {
            return next(logits, offset, vocab, random);
        }
        float[] row = Arrays.copyOfRange(logits, offset, offset + vocab);
        float penalty = (float) config.repetitionPenalty();
        boolean[] penalised = new boolean[vocab];
        for (int i = 0; i < seenLength; i++) {
            int token = seen[i];
            if (!penalised[token]) {
                penalised[token] = true;
                row[token] = row[token] < 0 ? row[token] * penalty : row[token] / penalty;
            }
        }
        return next(row, 0, vocab, random);
    }

    /** log softmax(logits row)[token]: the log-probability of {@code token} under the unmodified distribution. */
    public static double logProb(float[] logits, int offset, int vocab, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[offset + i] - max);
        }
        return logits[offset + token] - max - Math.log(sum);
    }

    /** The first index of the largest logit (torch.argmax). */
    private static int argmax(float[] logits, int offset, int vocab) {
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (logits[offset + i] > logits[offset + best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * The sampling scores of a logits row: divided by the temperature, then −∞ for the tokens top_k and top_p
     * remove.
     */
    double[] warpedScores(float[] logits, int offset, int vocab) {
        double[] scores = new double[vocab];
        for (int i = 0; i < vocab; i++) {
            scores[i] = logits[offset + i] / config.temperature();
        }
        boolean topK = config.topK() > 0 && config.topK() < vocab;
        boolean topP = config.topP() < 1;
        if (!topK && !topP) {
            return scores;
        }
        double[] ascending = scores.clone();
        Arrays.sort(ascending);
        double cutoff = Double.NEGATIVE_INFINITY;
        if (topK) {
            // Like transformers: remove the scores below the k-th largest, so ties with it stay.
            cutoff = ascending[vocab - config.topK()];
            for (int j = 0; j < vocab && ascending[j] < cutoff; j++) {
                ascending[j] = Double.NEGATIVE_INFINITY;
            }
        }
        if (topP) {
            cutoff = Math.max(cutoff, nucleusCutoff(ascending, config.topP()));
        }
        for (int i = 0; i < vocab; i++) {
            if (scores[i] < cutoff) {
                scores[i] = Double.NEGATIVE_INFINITY;
            }
        }
        return scores;
    }

    /**
     * The least score top_p keeps, from all scores sorted ascending: as transformers, the ascending prefix whose
     * cumulative probability is at most 1 − top_p is removed, and the largest score always stays.
     */
    private static double nucleusCutoff(double[] ascending, double topP) {
        int n = ascending.length;
        double max = ascending[n - 1];
        double total = 0;
        for (double s : ascending) {
            total += Math.exp(s - max);
        }
        double removable = (1 - topP) * total;
        double cumulative = 0;
        for (int j = 0; j < n - 1; j++) {
            cumulative += Math.exp(ascending[j] - max);
            if (cumulative > removable) {
                return ascending[j];
            }
        }
        return ascending[n - 1];
    }

    /** A token drawn with probability softmax(scores); −∞ scores are never drawn. */
    private static int draw(double[] scores, SplittableRandom random) {
        double max = Double.NEGATIVE_INFINITY;
        for (double s : scores) {
            max = Math.max(max, s);
        }
        double total = 0;
        for (int i = 0; i < scores.length; i++) {
            scores[i] = Math.exp(scores[i] - max);
            total += scores[i];
        }
        double u = random.nextDouble() * total;
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] > 0) {
                cumulative += scores[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last;
    }
}
