package org.align4j.align.reward;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.align4j.InputException;
import org.align4j.model.CausalLM;
import org.align4j.model.GenerationConfig;
import org.align4j.model.Generation;
import org.align4j.model.Generator;
import org.align4j.model.RewardModel;

/**
 * Best-of-N sampling: for each prompt, sample N completions from the policy and keep the one a scorer (a reward
 * model) rates highest. This is the best-of-N optimisation against a reward model that Stiennon et al. 2020
 * ("Learning to summarize from human feedback") compare with RL, and WebGPT's "rejection sampling (best-of-n)"
 * (Nakano et al. 2021); it optimises the reward at inference time, without training.
 *
 * <p>Sampling uses the {@link Generator} with the given {@link GenerationConfig} (which must sample when N > 1): the
 * N candidates of a prompt are one batch of N copies of it, seeded by the i-th number drawn from the config's seed, so
 * results depend only on the models, the prompts and the seed. Ties go to the first candidate. All candidates of
 * all prompts are scored in one call to the {@link Scorer}, which batches as it likes.
 */
public final class BestOfN {
    private final Generator generator;
    private final Scorer scorer;
    private final int n;
    private final GenerationConfig config;

    /** Rates complete sequences: prompt + completion token ids in, one reward per sequence out. */
    @FunctionalInterface
    public interface Scorer {
        /** The reward of each sequence, in order. */
        double[] score(List<int[]> sequences);
    }

    /** One sampled completion and its reward. */
    public record Candidate(int[] completion, double reward) {
    }

    /**
     * The outcome for one prompt.
     *
     * @param best       the highest-rated candidate (the first of equals)
     * @param bestIndex  its index among the candidates
     * @param candidates all N candidates in sampling order
     */
    public record Choice(Candidate best, int bestIndex, List<Candidate> candidates) {
    }

    /** Best-of-{@code n} over samples of {@code policy} drawn as {@code config} says, rated by {@code scorer}. */
    public BestOfN(CausalLM policy, Scorer scorer, int n, GenerationConfig config) {
        if (n <= 0) {
            throw new InputException("N must be positive, got " + n);
        }
        if (n > 1 && !config.doSample()) {
            throw new InputException("best-of-" + n + " needs do_sample: greedy decoding gives " + n
                    + " identical completions");
        }
        this.generator = new Generator(policy);
        this.scorer = scorer;
        this.n = n;
        this.config = config;
    }

    /**
     * A scorer running {@code model} on the sequences in right-padded batches of at most {@code batchSize} (the
     * model needs a pad id when {@code batchSize} > 1).
     */
    public static Scorer rewardModel(RewardModel model, int batchSize) {
        if (batchSize <= 0) {
            throw new InputException("batch size must be positive, got " + batchSize);
        }
        return sequences -> {
            double[] rewards = new double[sequences.size()];
            for (int from = 0; from < sequences.size(); from += batchSize) {
                int to = Math.min(sequences.size(), from + batchSize);
                System.arraycopy(model.score(sequences.subList(from, to)), 0, rewards, from, to - from);
            }
            return rewards;
        };
    }

    /** The best of N completions of each prompt (token ids), in prompt order. */
    public List<Choice> sample(int[][] prompts) {
        SplittableRandom seeds = new SplittableRandom(config.seed());
        List<int[]> completions = new ArrayList<>(prompts.length * n);
        List<int[]> sequences = new ArrayList<>(prompts.length * n);
        for (int[] prompt : prompts) {
            int[][] copies = new int[n][];
            Arrays.fill(copies, prompt);
            Generation generation = generator.generate(copies, config.withSeed(seeds.nextLong()));
            for (int k = 0; k < n; k++) {
                int[] completion = generation.completion(k);
                int[] sequence = Arrays.copyOf(prompt, prompt.length + completion.length);
                System.arraycopy(completion, 0, sequence, prompt.length, completion.length);
                completions.add(completion);
                sequences.add(sequence);
            }
        }
        double[] rewards = scorer.score(sequences);
        if (rewards.length != sequences.size()) {
            throw new IllegalStateException("the scorer returned " + rewards.length + " rewards for "
                    + sequences.size() + " sequences");
        }
        List<Choice> choices = new ArrayList<>(prompts.length);
        for (int p = 0; p < prompts.length; p++) {
            List<Candidate> candidates = new ArrayList<>(n);
            int best = 0;
            for (int k = 0; k < n; k++) {
                int i = p * n + k;
                candidates.add(new Candidate(completions.get(i), rewards[i]));
                if (rewards[i] > rewards[p * n + best]) {
                    best = k;
                }
            }
            choices.add(new Choice(candidates.get(best), best, List.copyOf(candidates)));
        }
        return choices;
    }
}
