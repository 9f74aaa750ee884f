package org.align4j.align.kto;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.align4j.InputException;
import org.align4j.train.AlgorithmConfig;
import org.align4j.train.OptionRecords;
import org.align4j.train.TrainingArguments;

/**
 * TRL's {@code KTOConfig}: the shared {@link TrainingArguments} with KTO's defaults ({@code learning_rate} 1e-6,
 * {@code logging_steps} 10, {@code gradient_checkpointing} true, {@code train_sampling_strategy} sequential: each
 * micro-batch's mismatched pairs are built from its own completions) and the options of {@link Options}.
 *
 * @param training the shared trainer's options
 * @param options  the KTO options
 */
public record KtoConfig(TrainingArguments training, Options options) implements AlgorithmConfig {
    /** The file a run saves its resolved configuration to. */
    public static final String FILE_NAME = "kto_config.json";

    private static final Set<String> OPTION_NAMES = OptionRecords.names(Options.class);

    /**
     * The KTO options under TRL's names, with TRL's defaults.
     *
     * @param maxLength         {@code max_length} (1024; null: no truncation): tokens of prompt + completion, truncated
     *                          at the end; an example whose prompt alone reaches it is dropped
     * @param lossType          {@code loss_type} (kto)
     * @param beta              {@code beta} (0.1)
     * @param desirableWeight   {@code desirable_weight} (1.0): weight of the desirable completions' losses
     * @param undesirableWeight {@code undesirable_weight} (1.0): weight of the undesirable completions' losses
     * @param disableDropout    {@code disable_dropout} (true): here, LoRA's dropout off
     */
    public record Options(Integer maxLength, KtoLossType lossType, double beta, double desirableWeight,
                          double undesirableWeight, boolean disableDropout) {
        /** Validates the values. */
        public Options {
            require(maxLength == null || maxLength > 0, "max_length must be > 0 or null, got " + maxLength);
            require(lossType != null, "loss_type must be set");
            require(beta > 0 && Double.isFinite(beta), "beta must be > 0, got " + beta);
            require(desirableWeight >= 0 && Double.isFinite(desirableWeight),
                    "desirable_weight must be >= 0, got " + desirableWeight);
            require(undesirableWeight >= 0 && Double.isFinite(undesirableWeight),
                    "undesirable_weight must be >= 0, got " + undesirableWeight);
        }
    }

    /** Validates the options against the batching, as TRL's {@code KTOTrainer} does. */
    public KtoConfig {
        require(training != null && options != null, "a KTO configuration needs training arguments and options");
        if (options.lossType() == KtoLossType.KTO) {
            require(!training.shufflesTrainingSet(), "loss_type kto estimates the KL term from each batch's own "
                    + "completions and needs train_sampling_strategy sequential, got '"
                    + training.trainSamplingStrategy() + "'");
            require(training.perDeviceTrainBatchSize() > 1, "loss_type kto needs per_device_train_batch_size > 1 "
                    + "(with one example the KL term equals the implied reward)");
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new InputException(message);
        }
    }

    /** TRL's defaults ({@code output_dir} "trainer_output"). */
    public static KtoConfig defaults() {
        Map<String, Object> trainer = new HashMap<>(TrainingArguments.trlDefaults(1e-6));
        trainer.put("train_sampling_strategy", "sequential");
        return new KtoConfig(TrainingArguments.defaults().withOptions(trainer),
                new Options(1024, KtoLossType.KTO, 0.1, 1.0, 1.0, true));
    }

    /** Every option name a KTO configuration accepts: the training options and the KTO options. */
    public static Set<String> allOptionNames() {
        return OptionRecords.withTrainingNames(OPTION_NAMES);
    }

    /** Reads a YAML or JSON configuration file over TRL's defaults. */
    public static KtoConfig load(Path file) {
        return fromOptions(TrainingArguments.readOptions(file), file.toString(), defaults());
    }

    /**
     * {@code base} with the given options (snake_case names of training and KTO options) replaced.
     *
     * @param source names where the options came from in error messages
     * @throws InputException naming {@code source} and the option for an unknown name, a wrong type or a bad value
     */
    public static KtoConfig fromOptions(Map<String, ?> options, String source, KtoConfig base) {
        return OptionRecords.algorithmConfig(options, source, base.training(), base.options(), Options.class,
                KtoConfig::new);
    }

    /** This configuration with the given options replaced (see {@link #fromOptions}). */
    public KtoConfig withOptions(Map<String, ?> options) {
        return fromOptions(options, "options", this);
    }

    /** The loss these options define. */
    public KtoLoss loss() {
        return new KtoLoss(options.lossType(), options.beta(), options.desirableWeight(), options.undesirableWeight());
    }
}
