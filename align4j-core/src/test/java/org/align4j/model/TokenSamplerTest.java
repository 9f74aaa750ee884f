package org.align4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The logits processing and sampling of {@link TokenSampler} against transformers' semantics. */
class TokenSamplerTest {

    private static TokenSampler sampler(double temperature, int topK, double topP) {
        return new TokenSampler(GenerationConfig.greedy(1).withSampling(temperature, topK, topP));
    }

    /** Logits whose softmax is {@code probs}. */
    private static float[] logitsOf(double... probs) {
        float[] logits = new float[probs.length];
        for (int i = 0; i < probs.length; i++) {
            logits[i] = (float) Math.log(probs[i]);
        }
        return logits;
    }

    /** Which tokens the warped scores keep (finite). */
    private static boolean[] kept(TokenSampler sampler, float[] logits) {
        double[] scores = sampler.warpedScores(logits, 0, logits.length);
        boolean[] kept = new boolean[scores.length];
        for (int i = 0; i < scores.length; i++) {
            kept[i] = scores[i] != Double.NEGATIVE_INFINITY;
        }
        return kept;
    }

    @Test
    void greedyPicksTheFirstLargestLogit() {
        TokenSampler greedy = new TokenSampler(GenerationConfig.greedy(1));
        assertEquals(1, greedy.next(new float[] {9f, 1f, 3f, 3f}, 1, 3, null));
    }

    @Test
    void topKKeepsTheKLargestAndTheirTies() {
        float[] logits = {3f, 1f, 3f, 2f, 2f};
        assertArrayEquals(new boolean[] {true, false, true, false, false}, kept(sampler(1, 2, 1), logits));
        assertArrayEquals(new boolean[] {true, false, true, true, true}, kept(sampler(1, 3, 1), logits));
        assertArrayEquals(new boolean[] {true, true, true, true, true}, kept(sampler(1, 0, 1), logits));
    }

    @Test
    void topPKeepsTheSmallestSetReachingIt() {
        float[] logits = logitsOf(0.05, 0.5, 0.15, 0.3);
        assertArrayEquals(new boolean[] {false, true, false, true}, kept(sampler(1, 0, 0.75), logits));
        assertArrayEquals(new boolean[] {false, true, true, true}, kept(sampler(1, 0, 0.85), logits));
        assertArrayEquals(new boolean[] {false, true, false, false}, kept(sampler(1, 0, 0.4), logits));
        assertArrayEquals(new boolean[] {false, true, false, false}, kept(sampler(1, 0, 0.0), logits), "at least one");
    }

    @Test
    void temperatureThenTopKThenTopP() {
        float[] logits = logitsOf(0.05, 0.5, 0.15, 0.3);
        assertArrayEquals(new boolean[] {false, true, false, true}, kept(sampler(1, 0, 0.6), logits));
        // Temperature 0.5 squares the probabilities, (0.007, 0.685, 0.062, 0.247): 0.685 alone reaches 0.6.
        assertArrayEquals(new boolean[] {false, true, false, false}, kept(sampler(0.5, 0, 0.6), logits));
        float[] four = logitsOf(0.4, 0.3, 0.2, 0.1);
        assertArrayEquals(new boolean[] {true, true, false, false}, kept(sampler(1, 0, 0.55), four));
        // top_k 2 renormalises to (4/7, 3/7) before top_p: 4/7 alone reaches 0.55.
        assertArrayEquals(new boolean[] {true, false, false, false}, kept(sampler(1, 2, 0.55), four));
    }

    /**
     * 40,000 draws at temperature 0.7 from a fixed seed: every token's frequency is within 4.5 standard deviations
     * of softmax(logits / 0.7) (sampling at temperature 1 would miss every token by 19 to 61 of them).
     */
    @Test
    void temperatureSamplingFrequenciesFollowTheSoftmax() {
        float[] logits = {1.0f, 0.5f, -0.3f, 2.0f, 0.0f};
        double temperature = 0.7;
        double[] probs = new double[logits.length];
        double total = 0;
        for (int i = 0; i < logits.length; i++) {
            probs[i] = Math.exp(logits[i] / temperature);
            total += probs[i];
        }
        int draws = 40_000;
        int[] counts = new int[logits.length];
        TokenSampler sampler = sampler(temperature, 0, 1.0);
        SplittableRandom random = new SplittableRandom(42);
        for (int n = 0; n < draws; n++) {
            counts[sampler.next(logits, 0, logits.length, random)]++;
        }
        for (int i = 0; i < logits.length; i++) {
            double p = probs[i] / total;
            double sigma = Math.sqrt(p * (1 - p) / draws);
            double frequency = (double) counts[i] / draws;
            assertTrue(Math.abs(frequency - p) <= 4.5 * sigma,
                    "token " + i + ": frequency " + frequency + ", softmax " + p + " (sigma " + sigma + ")");
        }
    }

    @Test
    void removedTokensAreNeverDrawn() {
        float[] logits = logitsOf(0.4, 0.3, 0.2, 0.1);
        TokenSampler sampler = sampler(1.5, 2, 1.0);
        SplittableRandom random = new SplittableRandom(3);
        for (int n = 0; n < 2000; n++) {
            assertTrue(sampler.next(logits, 0, 4, random) < 2);
        }
    }

    @Test
    void logProbIsTheLogSoftmaxOfTheRawLogits() {
        float[] logits = {7f, 1f, 2f, 0.5f};
        double lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(0.5));
        assertEquals(2 - lse, TokenSampler.logProb(logits, 1, 3, 1), 1e-12);
    }
}
