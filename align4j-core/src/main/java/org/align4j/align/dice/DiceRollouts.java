package org.align4j.align.dice;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.CausalLM;
import org.align4j.model.GenerationConfig;
import org.align4j.tokenizer.Tokenizer;

/**
 * Where a DICE round's sampling and scoring stages run (Chen et al. 2025, Algorithm 1: "sample K responses", "score
 * them with the implicit reward"): {@link #local} runs them in this JVM on the models in memory; another
 * implementation runs them elsewhere on the models' folders (align4j-spark's, on a cluster's executors, found through
 * {@link Provider}) and must give the same samples and scores, so that a run's files do not depend on where it ran.
 */
public interface DiceRollouts {

    /**
     * The models of round k: π_k (it samples, and is the policy of the implicit reward) and π_ref (π_{k−1}, or the
     * loop's first reference in round 1), each in memory and, when known, as the folder it was saved to.
     */
    record RoundModels(CausalLM policy, Path policyFolder, CausalLM reference, Path referenceFolder) {
    }

    /**
     * K samples of every prompt from π_k as {@link org.align4j.align.dpo.DpoRounds#sample} draws them, in prompt then
     * sample order, decoded when there is a tokenizer, unscored.
     */
    List<DiceSample> sample(RoundModels models, List<DicePrompt> prompts, int k, GenerationConfig generation);

    /**
     * The samples with their log-probabilities under π_k and π_ref: the ended ones, prompt + response scored
     * teacher-forced in batches of {@code batchSize} consecutive ended samples padded with {@code padId}; cut ones
     * unchanged.
     */
    List<DiceSample> score(RoundModels models, List<DicePrompt> prompts, List<DiceSample> samples, int batchSize,
                           int padId);

    /** Makes rollouts that run on a Spark cluster; align4j-spark registers one for {@link java.util.ServiceLoader}. */
    interface Provider {
        /** Rollouts on the cluster at {@code master}, decoding with the tokenizer in {@code tokenizerFolder}. */
        DiceRollouts create(String master, Path tokenizerFolder);
    }

    /** The rollouts that run in this JVM, decoding with {@code tokenizer} (null: responses stay undecoded). */
    static DiceRollouts local(Tokenizer tokenizer) {
        return new LocalDiceRollouts(tokenizer);
    }

    /** Prompt {@code prompt}'s samples from its generated rows, decoded with {@code tokenizer} when not null. */
    static List<DiceSample> samples(int prompt, int[][] generated, GenerationConfig generation, Tokenizer tokenizer) {
        List<DiceSample> samples = new ArrayList<>(generated.length);
        for (int s = 0; s < generated.length; s++) {
            DiceSample sample = DiceSample.generated(prompt, s, generated[s], generation.eosTokenIds());
            samples.add(tokenizer == null ? sample : sample.withResponse(tokenizer.decode(sample.contentIds(), true)));
        }
        return samples;
    }

    /** Prompt + response as one sequence, the response marked as the completion. */
    static TokenizedSequence sequence(int[] prompt, DiceSample sample, String source) {
        int[] ids = Arrays.copyOf(prompt, prompt.length + sample.responseIds().length);
        System.arraycopy(sample.responseIds(), 0, ids, prompt.length, sample.responseIds().length);
        boolean[] mask = new boolean[ids.length];
        Arrays.fill(mask, prompt.length, ids.length, true);
        return new TokenizedSequence(ids, mask, source + " sample " + sample.sample());
    }

    /** {@code samples} with the ended ones' log-probabilities, {@code policy[i]} and {@code reference[i]} the i-th's. */
    static List<DiceSample> withScores(List<DiceSample> samples, double[] policy, double[] reference) {
        List<DiceSample> scored = new ArrayList<>(samples.size());
        int next = 0;
        for (DiceSample s : samples) {
            if (s.ended()) {
                scored.add(s.withScores(policy[next], reference[next]));
                next++;
            } else {
                scored.add(s);
            }
        }
        return scored;
    }
}
