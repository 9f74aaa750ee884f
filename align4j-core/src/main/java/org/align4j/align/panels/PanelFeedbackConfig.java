package org.align4j.align.panels;

import org.align4j.InputException;
import org.align4j.align.dpo.DpoConfig;
import org.align4j.data.panels.PanelSizes;
import org.align4j.model.GenerationConfig;

/**
 * The options of a panel-feedback run ({@link PanelFeedbackLoop}): how many rounds, how many candidate panels the
 * builder samples per paragraph and how, the copy penalty of the feedback ({@link PanelFeedback}), and the DPO run of
 * each round.
 *
 * @param rounds            rounds of sampling, scoring and DPO
 * @param numGenerations    candidate panels sampled per training paragraph (TRL's GRPO {@code num_generations})
 * @param copyPenalty       λ of the score: mean log-likelihood per token − λ × overlap ({@link PanelFeedback#score})
 * @param generation        how candidates are sampled ({@code do_sample} must be on; its eos ids tell a finished panel
 *                          from a cut one; its seed seeds round 1, round k uses seed + k − 1); the held-out panels are
 *                          decoded greedily with its {@code max_new_tokens} and eos ids
 * @param contextParagraphs paragraphs before the conditioned one that the building prompt shows
 * @param scoreBatchSize    sequences per forward pass of the writer, prompts per held-out generation batch
 * @param dpo               the DPO run of every round ({@code output_dir} is replaced by the round's folder)
 */
public record PanelFeedbackConfig(int rounds, int numGenerations, double copyPenalty, GenerationConfig generation,
                                  int contextParagraphs, int scoreBatchSize, DpoConfig dpo) {
    /** The file a run saves its resolved options to (the DPO options, then these). */
    public static final String FILE_NAME = "panel_feedback_config.json";

    /**
     * The loop's own options under their snake_case names, as a {@code --config} file or the flags give them (read by
     * {@link org.align4j.train.OptionRecords}); {@link #of} turns them into a configuration.
     *
     * @param rounds            {@code rounds} (2)
     * @param numGenerations    {@code num_generations}: candidates per paragraph (4)
     * @param copyPenalty       {@code copy_penalty}: λ ≥ 0 (0: the raw log-likelihood ranks)
     * @param temperature       {@code temperature} of sampling (1.0)
     * @param topP              {@code top_p} (1.0)
     * @param topK              {@code top_k}, 0 disables (0)
     * @param maxNewTokens      {@code max_new_tokens}: a candidate without eos by then is dropped (256)
     * @param contextParagraphs {@code context_paragraphs}: paragraphs shown before the conditioned one (3, as
     *                          {@code panels build} writes its build examples with the default panel sizes)
     * @param scoreBatchSize    {@code score_batch_size} (8)
     */
    public record Options(int rounds, int numGenerations, double copyPenalty, double temperature, double topP,
                          int topK, int maxNewTokens, int contextParagraphs, int scoreBatchSize) {
        /** The defaults. */
        public static Options defaults() {
            PanelSizes sizes = PanelSizes.defaults();
            return new Options(2, 4, 0.0, 1.0, 1.0, 0, 256, sizes.latestParagraphs() + sizes.shortTermParagraphs(),
                    8);
        }
    }

    /**
     * The configuration of {@code options} whose rounds train as {@code dpo} says, sampling with the eos and pad ids
     * of {@code model} (the builder's generation config) and {@code dpo}'s seed.
     */
    public static PanelFeedbackConfig of(Options options, DpoConfig dpo, GenerationConfig model) {
        GenerationConfig generation = new GenerationConfig(options.maxNewTokens(), true, options.temperature(),
                options.topK(), options.topP(), model.eosTokenIds(), model.padTokenId(), dpo.training().seed());
        return new PanelFeedbackConfig(options.rounds(), options.numGenerations(), options.copyPenalty(), generation,
                options.contextParagraphs(), options.scoreBatchSize(), dpo);
    }

    /** Validates every option (messages name it). */
    public PanelFeedbackConfig {
        require(rounds > 0, "rounds must be > 0, got " + rounds);
        require(numGenerations >= 2, "num_generations must be >= 2 (a pair needs two candidates), got "
                + numGenerations);
        require(copyPenalty >= 0 && Double.isFinite(copyPenalty), "copy_penalty must be finite and >= 0, got "
                + copyPenalty);
        require(generation != null && generation.doSample(), "the candidates are sampled: do_sample must be on");
        require(!generation.eosTokenIds().isEmpty(), "the builder's generation config has no eos_token_id: no panel "
                + "could be told complete from cut");
        require(contextParagraphs >= 0, "context_paragraphs must be >= 0, got " + contextParagraphs);
        require(scoreBatchSize > 0, "score_batch_size must be > 0, got " + scoreBatchSize);
        require(dpo != null, "a DPO configuration is required");
    }

    /** The sampling config of round {@code round} (1-based): the seed moves on by one per round. */
    public GenerationConfig generation(int round) {
        return generation.withSeed(generation.seed() + round - 1);
    }

    /** How the held-out panels are decoded: greedily, with the sampling config's length and eos ids. */
    public GenerationConfig evaluation() {
        return new GenerationConfig(generation.maxNewTokens(), false, 1.0, 0, 1.0, generation.eosTokenIds(),
                generation.padTokenId(), 0);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new InputException(message);
        }
    }
}
