package org.align4j.align.grpo;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.align4j.InputException;
import org.align4j.train.AlgorithmConfig;
import org.align4j.train.OptionRecords;
import org.align4j.train.TrainingArguments;

/**
 * TRL's {@code RLOOConfig}: the shared {@link TrainingArguments} with RLOO's defaults ({@code learning_rate} 1e-6,
 * {@code logging_steps} 10, {@code gradient_checkpointing} true) and the RLOO options of {@link Options}. A
 * configuration file (YAML or JSON) uses the snake_case names of both in one mapping.
 *
 * @param training the shared trainer's options; {@code per_device_train_batch_size} counts completions
 * @param options  the RLOO options
 */
public record RlooConfig(TrainingArguments training, Options options) implements AlgorithmConfig {
    /** The file a run saves its resolved configuration to. */
    public static final String FILE_NAME = "rloo_config.json";

    private static final Set<String> OPTION_NAMES = OptionRecords.names(Options.class);

    /**
     * The RLOO options under TRL's names, with TRL's defaults (the shared sampling ones are described on
     * {@link RolloutOptions}).
     *
     * @param disableDropout           {@code disable_dropout} (false)
     * @param numGenerations           {@code num_generations} (2)
     * @param maxCompletionLength      {@code max_completion_length} (512)
     * @param shuffleDataset           {@code shuffle_dataset} (true)
     * @param generationBatchSize      {@code generation_batch_size} (null)
     * @param stepsPerGeneration       {@code steps_per_generation} (null)
     * @param temperature              {@code temperature} (1.0)
     * @param topP                     {@code top_p} (1.0)
     * @param topK                     {@code top_k} (0)
     * @param repetitionPenalty        {@code repetition_penalty} (1.0)
     * @param beta                     {@code beta} (0.05): the KL penalty's coefficient in the reward
     * @param numIterations            {@code num_iterations} (1)
     * @param epsilon                  {@code epsilon} (0.2)
     * @param epsilonHigh              {@code epsilon_high} (null: epsilon)
     * @param rewardWeights            {@code reward_weights} (null: all 1)
     * @param normalizeAdvantages      {@code normalize_advantages} (false): standardise the advantages per batch
     * @param rewardClipRange          {@code reward_clip_range} (null): [min, max] the rewards are clipped to
     * @param maskTruncatedCompletions {@code mask_truncated_completions} (false)
     */
    public record Options(boolean disableDropout, int numGenerations, int maxCompletionLength, boolean shuffleDataset,
                          Integer generationBatchSize, Integer stepsPerGeneration, double temperature, double topP,
                          int topK, double repetitionPenalty, double beta, int numIterations, double epsilon,
                          Double epsilonHigh, List<Double> rewardWeights, boolean normalizeAdvantages,
                          List<Double> rewardClipRange, boolean maskTruncatedCompletions) implements RolloutOptions {

        /** Validates the values that need no training arguments. */
        public Options {
            if (rewardClipRange != null) {
                if (rewardClipRange.size() != 2 || rewardClipRange.contains(null)
                        || !(rewardClipRange.get(0) <= rewardClipRange.get(1))) {
                    throw new InputException("reward_clip_range must be [min, max] with min <= max, got "
                            + rewardClipRange);
                }
                rewardClipRange = List.copyOf(rewardClipRange);
            }
            rewardWeights = rewardWeights == null ? null : List.copyOf(rewardWeights);
        }

        /** {@code reward_clip_range} as {min, max}, or null. */
        public double[] clipRange() {
            return rewardClipRange == null ? null : new double[] {rewardClipRange.get(0), rewardClipRange.get(1)};
        }
    }

    /** Validates the options against the batch sizes. */
    public RlooConfig {
        if (training == null || options == null) {
            throw new InputException("an RLOO configuration needs training arguments and options");
        }
        options.check(training);
    }

    /** TRL's defaults ({@code output_dir} "trainer_output"). */
    public static RlooConfig defaults() {
        TrainingArguments training = TrainingArguments.defaults().withOptions(TrainingArguments.trlDefaults(1e-6));
        return new RlooConfig(training, new Options(false, 2, 512, true, null, null, 1.0, 1.0, 0, 1.0, 0.05, 1, 0.2,
                null, null, false, null, false));
    }

    /** Every option name an RLOO configuration accepts: the training options and the RLOO options. */
    public static Set<String> allOptionNames() {
        return OptionRecords.withTrainingNames(OPTION_NAMES);
    }

    /** Reads a YAML or JSON configuration file over TRL's defaults. */
    public static RlooConfig load(Path file) {
        return fromOptions(TrainingArguments.readOptions(file), file.toString(), defaults());
    }

    /**
     * {@code base} with the given options (snake_case names of training and RLOO options) replaced.
     *
     * @param source names where the options came from in error messages
     * @throws InputException naming {@code source} and the option for an unknown name, a wrong type or a bad value
     */
    public static RlooConfig fromOptions(Map<String, ?> options, String source, RlooConfig base) {
        return OptionRecords.algorithmConfig(options, source, base.training(), base.options(), Options.class,
                RlooConfig::new);
    }

    /** This configuration with the given options replaced (see {@link #fromOptions}). */
    public RlooConfig withOptions(Map<String, ?> options) {
        return fromOptions(options, "options", this);
    }

    /** The loss these options define. */
    public RlooLoss loss() {
        return new RlooLoss(options.epsilon(), options.epsilonHighOrLow());
    }
}
