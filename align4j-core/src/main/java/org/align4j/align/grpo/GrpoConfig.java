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
 * TRL's {@code GRPOConfig}: the shared {@link TrainingArguments} with GRPO's defaults ({@code learning_rate} 1e-6,
 * {@code logging_steps} 10, {@code gradient_checkpointing} true) and the GRPO options of {@link Options}. A
 * configuration file (YAML or JSON) uses the snake_case names of both in one mapping.
 *
 * @param training the shared trainer's options; {@code per_device_train_batch_size} counts completions
 * @param options  the GRPO options
 */
public record GrpoConfig(TrainingArguments training, Options options) implements AlgorithmConfig {
    /** The file a run saves its resolved configuration to. */
    public static final String FILE_NAME = "grpo_config.json";

    private static final Set<String> OPTION_NAMES = OptionRecords.names(Options.class);

    /**
     * The GRPO options under TRL's names, with TRL's defaults (the shared sampling ones are described on
     * {@link RolloutOptions}).
     *
     * @param disableDropout            {@code disable_dropout} (false)
     * @param numGenerations            {@code num_generations} (8)
     * @param maxCompletionLength       {@code max_completion_length} (512)
     * @param shuffleDataset            {@code shuffle_dataset} (true)
     * @param generationBatchSize       {@code generation_batch_size} (null)
     * @param stepsPerGeneration        {@code steps_per_generation} (null)
     * @param temperature               {@code temperature} (1.0)
     * @param topP                      {@code top_p} (1.0)
     * @param topK                      {@code top_k} (0)
     * @param repetitionPenalty         {@code repetition_penalty} (1.0)
     * @param beta                      {@code beta} (0.0): KL coefficient; 0 loads no reference model
     * @param numIterations             {@code num_iterations} (1)
     * @param epsilon                   {@code epsilon} (0.2)
     * @param delta                     {@code delta} (null): upper clamp of the unclipped ratio (two-sided clipping)
     * @param epsilonHigh               {@code epsilon_high} (null: epsilon; DAPO recommends 0.28)
     * @param importanceSamplingLevel   {@code importance_sampling_level} (token; sequence is GSPO)
     * @param rewardWeights             {@code reward_weights} (null: all 1)
     * @param multiObjectiveAggregation {@code multi_objective_aggregation} (sum_then_normalize)
     * @param scaleRewards              {@code scale_rewards} (group)
     * @param lossType                  {@code loss_type} (dapo)
     * @param maskTruncatedCompletions  {@code mask_truncated_completions} (false)
     */
    public record Options(boolean disableDropout, int numGenerations, int maxCompletionLength, boolean shuffleDataset,
                          Integer generationBatchSize, Integer stepsPerGeneration, double temperature, double topP,
                          int topK, double repetitionPenalty, double beta, int numIterations, double epsilon,
                          Double delta, Double epsilonHigh, ImportanceSamplingLevel importanceSamplingLevel,
                          List<Double> rewardWeights, String multiObjectiveAggregation, ScaleRewards scaleRewards,
                          GrpoLossType lossType, boolean maskTruncatedCompletions) implements RolloutOptions {

        /** Validates the values that need no training arguments. */
        public Options {
            require(importanceSamplingLevel != null && scaleRewards != null && lossType != null,
                    "importance_sampling_level, scale_rewards and loss_type must be set");
            require(delta == null || delta > 1, "delta must be > 1 (it caps the ratio from above), got " + delta);
            aggregation(multiObjectiveAggregation);
            rewardWeights = rewardWeights == null ? null : List.copyOf(rewardWeights);
        }

        /** {@code multi_objective_aggregation} as a value. */
        public GroupAdvantages.Aggregation aggregation() {
            return aggregation(multiObjectiveAggregation);
        }

        private static GroupAdvantages.Aggregation aggregation(String name) {
            return switch (name == null ? "" : name) {
                case "sum_then_normalize" -> GroupAdvantages.Aggregation.SUM_THEN_NORMALIZE;
                case "normalize_then_sum" -> GroupAdvantages.Aggregation.NORMALIZE_THEN_SUM;
                default -> throw new InputException("multi_objective_aggregation must be sum_then_normalize or "
                        + "normalize_then_sum, got '" + name + "'");
            };
        }
    }

    /** Validates the options against the batch sizes. */
    public GrpoConfig {
        require(training != null && options != null, "a GRPO configuration needs training arguments and options");
        options.check(training);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new InputException(message);
        }
    }

    /** TRL's defaults ({@code output_dir} "trainer_output"). */
    public static GrpoConfig defaults() {
        TrainingArguments training = TrainingArguments.defaults().withOptions(TrainingArguments.trlDefaults(1e-6));
        return new GrpoConfig(training, new Options(false, 8, 512, true, null, null, 1.0, 1.0, 0, 1.0, 0.0, 1, 0.2,
                null, null, ImportanceSamplingLevel.TOKEN, null, "sum_then_normalize", ScaleRewards.GROUP,
                GrpoLossType.DAPO, false));
    }

    /** Every option name a GRPO configuration accepts: the training options and the GRPO options. */
    public static Set<String> allOptionNames() {
        return OptionRecords.withTrainingNames(OPTION_NAMES);
    }

    /** Reads a YAML or JSON configuration file over TRL's defaults. */
    public static GrpoConfig load(Path file) {
        return fromOptions(TrainingArguments.readOptions(file), file.toString(), defaults());
    }

    /**
     * {@code base} with the given options (snake_case names of training and GRPO options) replaced.
     *
     * @param source names where the options came from in error messages
     * @throws InputException naming {@code source} and the option for an unknown name, a wrong type or a bad value
     */
    public static GrpoConfig fromOptions(Map<String, ?> options, String source, GrpoConfig base) {
        return OptionRecords.algorithmConfig(options, source, base.training(), base.options(), Options.class,
                GrpoConfig::new);
    }

    /** This configuration with the given options replaced (see {@link #fromOptions}). */
    public GrpoConfig withOptions(Map<String, ?> options) {
        return fromOptions(options, "options", this);
    }

    /** The loss these options define. */
    public GrpoLoss loss() {
        return new GrpoLoss(options.lossType(), options.epsilon(), options.epsilonHighOrLow(), options.delta(),
                options.beta(), options.importanceSamplingLevel(), options.maxCompletionLength());
    }
}
