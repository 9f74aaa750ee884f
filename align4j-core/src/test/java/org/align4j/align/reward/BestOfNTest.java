package org.align4j.align.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.align4j.align.TinyModels;
import org.align4j.model.CausalLM;
import org.align4j.model.GenerationConfig;
import org.align4j.model.RewardModel;
import org.junit.jupiter.api.Test;

/** Best-of-N: the candidate the scorer prefers wins, batched scoring, reproducible from the seed. */
class BestOfNTest {
    private static final int PREFERRED = 7;
    private static final int[][] PROMPTS = {{1, 2, 3}, {4, 5}, {9}};

    private static final CausalLM POLICY = TinyModels.random("llama", 21);

    private static GenerationConfig sampling(long seed) {
        return GenerationConfig.greedy(6).withSampling(1.0, 0, 1.0).withSeed(seed);
    }

    /** Rewards a sequence by how often it holds the preferred token; records each call's batch size. */
    private static BestOfN.Scorer countingPreferred(List<Integer> calls) {
        return sequences -> {
            calls.add(sequences.size());
            double[] r = new double[sequences.size()];
            for (int i = 0; i < r.length; i++) {
                for (int id : sequences.get(i)) {
                    r[i] += id == PREFERRED ? 1 : 0;
                }
            }
            return r;
        };
    }

    private static int count(int[] ids) {
        int c = 0;
        for (int id : ids) {
            c += id == PREFERRED ? 1 : 0;
        }
        return c;
    }

    @Test
    void keepsTheCandidateTheScorerPrefers() {
        List<Integer> calls = new ArrayList<>();
        List<BestOfN.Choice> choices = new BestOfN(POLICY, countingPreferred(calls), 16, sampling(3)).sample(PROMPTS);
        assertEquals(List.of(48), calls, "every candidate of every prompt scored in one call");
        assertEquals(3, choices.size());
        boolean anyPreferred = false;
        for (BestOfN.Choice c : choices) {
            assertEquals(16, c.candidates().size());
            int best = count(c.best().completion());
            assertEquals(best, c.best().reward());
            for (int k = 0; k < c.candidates().size(); k++) {
                BestOfN.Candidate candidate = c.candidates().get(k);
                assertEquals(6, candidate.completion().length);
                int n = count(candidate.completion());
                assertTrue(n <= best, "no candidate beats the chosen one");
                assertTrue(k >= c.bestIndex() || n < best, "ties go to the first");
            }
            anyPreferred |= best > 0;
        }
        assertTrue(anyPreferred, "with 16 samples over 40 tokens the preferred token shows up");
    }

    @Test
    void reproducibleFromTheSeed() {
        List<BestOfN.Choice> a = new BestOfN(POLICY, countingPreferred(new ArrayList<>()), 4, sampling(9))
                .sample(PROMPTS);
        List<BestOfN.Choice> b = new BestOfN(POLICY, countingPreferred(new ArrayList<>()), 4, sampling(9))
                .sample(PROMPTS);
        List<BestOfN.Choice> c = new BestOfN(POLICY, countingPreferred(new ArrayList<>()), 4, sampling(10))
                .sample(PROMPTS);
        boolean differs = false;
        for (int p = 0; p < PROMPTS.length; p++) {
            for (int k = 0; k < 4; k++) {
                assertArrayEquals(a.get(p).candidates().get(k).completion(), b.get(p).candidates().get(k).completion());
                differs |= !java.util.Arrays.equals(a.get(p).candidates().get(k).completion(),
                        c.get(p).candidates().get(k).completion());
            }
        }
        assertTrue(differs, "another seed samples other candidates");
    }

    @Test
    void aRewardModelScoresInBatches() {
        RewardModel rm = RewardModel.fromCausalLM(TinyModels.random("gpt2", 5), 6).withPadTokenId(0);
        BestOfN.Scorer batched = BestOfN.rewardModel(rm, 3);
        List<BestOfN.Choice> choices = new BestOfN(POLICY, batched, 5, sampling(1)).sample(PROMPTS);
        for (int p = 0; p < PROMPTS.length; p++) {
            double max = Double.NEGATIVE_INFINITY;
            for (BestOfN.Candidate c : choices.get(p).candidates()) {
                int[] sequence = new int[PROMPTS[p].length + c.completion().length];
                System.arraycopy(PROMPTS[p], 0, sequence, 0, PROMPTS[p].length);
                System.arraycopy(c.completion(), 0, sequence, PROMPTS[p].length, c.completion().length);
                assertEquals(rm.score(List.of(sequence))[0], c.reward(), 1e-5, "batched = alone");
                max = Math.max(max, c.reward());
            }
            assertEquals(max, choices.get(p).best().reward());
        }
    }

    @Test
    void greedyBestOfManyIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new BestOfN(POLICY, s -> new double[s.size()], 2,
                GenerationConfig.greedy(4)));
        assertFalse(new BestOfN(POLICY, s -> new double[s.size()], 1, GenerationConfig.greedy(4)).sample(PROMPTS)
                .isEmpty());
    }
}
