package org.align4j.align.dice;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.align4j.InputException;
import org.align4j.align.dpo.DpoConfig;
import org.align4j.model.GenerationConfig;

/**
 * The options of a DICE run ({@link DiceLoop}; Chen et al. 2025, "Bootstrapping Language Models with DPO Implicit
 * Rewards", ICLR 2025, Algorithm 1): how many rounds, how the policy samples, how the length-regularised reward
 * r = s − α |y| picks α, how generated and offline pairs are mixed, and the DPO run of each round.
 *
 * @param rounds            DICE rounds (the paper runs 2)
 * @param samplesPerPrompt  K responses sampled per prompt (the paper's 16)
 * @param generation        how responses are sampled ({@code do_sample} must be on; its eos ids decide which
 *                          responses ended, its seed seeds round 1, round k uses seed + k − 1)
 * @param gamma             experience replay's γ in [0, 1): the share of offline pairs in the mix (0.5)
 * @param lengthUnit        how |y| is counted: characters of the decoded response (the authors' choice) or tokens
 * @param alphaGrid         the α values the sweep tries, ascending; the one whose pairs have the smallest
 *                          |mean |y_chosen| − mean |y_rejected|| wins, the smallest α among equals
 *                          ({@link #DEFAULT_ALPHA_GRID}: 0, 0.001, ..., 1, the authors' range and step)
 * @param minValidSamples   prompts with fewer responses that ended within {@code max_new_tokens} are skipped (2)
 * @param scoreBatchSize    sequences per forward pass when scoring
 * @param dpo               the DPO run of every round ({@code output_dir} is replaced by the round's folder)
 */
public record DiceConfig(int rounds, int samplesPerPrompt, GenerationConfig generation, double gamma,
                         LengthUnit lengthUnit, List<Double> alphaGrid, int minValidSamples, int scoreBatchSize,
                         DpoConfig dpo) {
    /** The file a run saves its resolved options to (the training options, then these). */
    public static final String FILE_NAME = "dice_config.json";
    /** The default α grid: 0 to 1 in steps of 0.001 (1001 values), the range the authors sweep for characters. */
    public static final List<Double> DEFAULT_ALPHA_GRID = range(0, 1, 0.001);

    /**
     * DICE's own options under their snake_case names, as a {@code --config} file or the flags give them (read by
     * {@link org.align4j.train.OptionRecords}); {@link #of} turns them into a configuration.
     *
     * @param rounds           {@code rounds} (2)
     * @param samplesPerPrompt {@code samples_per_prompt}, K (16)
     * @param gamma            {@code gamma} (0.5)
     * @param lengthUnit       {@code length_unit}: chars or tokens (chars)
     * @param alphaGrid        {@code alpha_grid}: start:stop:step (stop included) or a comma list (0:1:0.001)
     * @param minValidSamples  {@code min_valid_samples} (2)
     * @param temperature      {@code temperature} of sampling (1.0)
     * @param topP             {@code top_p} (1.0)
     * @param topK             {@code top_k}, 0 disables (0)
     * @param maxNewTokens     {@code max_new_tokens}: a response without eos by then is dropped (256)
     * @param scoreBatchSize   {@code score_batch_size}: sequences per forward pass when scoring (8)
     */
    public record Options(int rounds, int samplesPerPrompt, double gamma, String lengthUnit, String alphaGrid,
                          int minValidSamples, double temperature, double topP, int topK, int maxNewTokens,
                          int scoreBatchSize) {
        /** The defaults (the paper's where it gives them). */
        public static Options defaults() {
            return new Options(2, 16, 0.5, "chars", "0:1:0.001", 2, 1.0, 1.0, 0, 256, 8);
        }
    }

    /**
     * The configuration of {@code options} whose rounds train as {@code dpo} says, sampling with the eos and pad ids
     * of {@code model} (its generation config) and {@code dpo}'s seed.
     */
    public static DiceConfig of(Options options, DpoConfig dpo, GenerationConfig model) {
        GenerationConfig generation = new GenerationConfig(options.maxNewTokens(), true, options.temperature(),
                options.topK(), options.topP(), model.eosTokenIds(), model.padTokenId(), dpo.training().seed());
        return new DiceConfig(options.rounds(), options.samplesPerPrompt(), generation, options.gamma(),
                LengthUnit.of(options.lengthUnit()), parseAlphaGrid(options.alphaGrid()), options.minValidSamples(),
                options.scoreBatchSize(), dpo);
    }

    /** How the length |y| of a response is counted. */
    public enum LengthUnit {
        /** Characters of the decoded response: code points, as Python's {@code len} counts them. */
        CHARS,
        /** Completion tokens, the eos excluded. */
        TOKENS;

        /** The unit named {@code chars} or {@code tokens}. */
        public static LengthUnit of(String name) {
            for (LengthUnit unit : values()) {
                if (unit.name().equalsIgnoreCase(name)) {
                    return unit;
                }
            }
            throw new InputException("length unit must be chars or tokens, got '" + name + "'");
        }

        /** The lower-case name. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Validates every option (messages name it) and freezes the grid. */
    public DiceConfig {
        require(rounds > 0, "rounds must be > 0, got " + rounds);
        require(samplesPerPrompt >= 2, "samples_per_prompt must be >= 2 (a pair needs two responses), got "
                + samplesPerPrompt);
        require(generation != null && generation.doSample(), "DICE samples its responses: do_sample must be on");
        require(!generation.eosTokenIds().isEmpty(), "the generation config has no eos_token_id: no response could "
                + "be told complete from cut");
        require(gamma >= 0 && gamma < 1, "gamma must be in [0, 1), got " + gamma);
        require(lengthUnit != null, "length_unit must be chars or tokens");
        require(alphaGrid != null && !alphaGrid.isEmpty(), "alpha_grid must hold at least one value");
        alphaGrid = List.copyOf(alphaGrid);
        for (int i = 0; i < alphaGrid.size(); i++) {
            double a = alphaGrid.get(i);
            require(a >= 0 && Double.isFinite(a), "alpha_grid values must be finite and >= 0, got " + a);
            require(i == 0 || a > alphaGrid.get(i - 1), "alpha_grid must be strictly ascending, got " + alphaGrid);
        }
        require(minValidSamples >= 2, "min_valid_samples must be >= 2, got " + minValidSamples);
        require(scoreBatchSize > 0, "score_batch_size must be > 0, got " + scoreBatchSize);
        require(dpo != null, "a DPO configuration is required");
    }

    /** Two rounds of 16 samples, γ 0.5, lengths in characters, the default α grid, 2 valid samples, batches of 8. */
    public static DiceConfig defaults(GenerationConfig generation, DpoConfig dpo) {
        return new DiceConfig(2, 16, generation, 0.5, LengthUnit.CHARS, DEFAULT_ALPHA_GRID, 2, 8, dpo);
    }

    /**
     * An α grid from text: comma-separated values ({@code 0,0.01,0.1}) or {@code start:stop:step}, stop included
     * when the steps reach it ({@code 0:1:0.001}).
     */
    public static List<Double> parseAlphaGrid(String text) {
        String t = text.trim();
        try {
            if (t.contains(":")) {
                String[] parts = t.split(":");
                require(parts.length == 3, "alpha grid '" + text + "': expected start:stop:step");
                double start = Double.parseDouble(parts[0].trim());
                double stop = Double.parseDouble(parts[1].trim());
                double step = Double.parseDouble(parts[2].trim());
                require(step > 0 && stop >= start, "alpha grid '" + text + "': needs step > 0 and stop >= start");
                return range(start, stop, step);
            }
            List<Double> values = new ArrayList<>();
            for (String v : t.split(",")) {
                values.add(Double.parseDouble(v.trim()));
            }
            return values;
        } catch (NumberFormatException e) {
            throw new InputException("alpha grid '" + text + "': not a number list or start:stop:step");
        }
    }

    /** start, start + step, ... up to stop (within a millionth of a step), each rounded to 12 decimals. */
    private static List<Double> range(double start, double stop, double step) {
        long n = (long) Math.floor((stop - start) / step + 1e-6) + 1;
        require(n <= 1_000_000, "alpha grid has " + n + " values, more than 1,000,000");
        List<Double> values = new ArrayList<>((int) n);
        for (long i = 0; i < n; i++) {
            values.add(Math.round((start + i * step) * 1e12) / 1e12);
        }
        return List.copyOf(values);
    }

    /** The sampling config of round {@code round} (1-based): the seed moves on by one per round. */
    public GenerationConfig generation(int round) {
        return generation.withSeed(generation.seed() + round - 1);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new InputException(message);
        }
    }
}
