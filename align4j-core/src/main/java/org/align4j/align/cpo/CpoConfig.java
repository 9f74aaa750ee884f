package org.align4j.align.cpo;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.align4j.InputException;
import org.align4j.train.AlgorithmConfig;
import org.align4j.train.OptionRecords;
import org.align4j.train.TrainingArguments;

/**
 * TRL's {@code CPOConfig}: the shared {@link TrainingArguments} with CPO's defaults ({@code learning_rate} 1e-6,
 * {@code logging_steps} 10, {@code gradient_checkpointing} true) and the options of {@link Options}. SimPO is
 * {@code loss_type: simpo} (with {@code cpo_alpha: 0} for SimPO alone, as TRL documents it).
 *
 * @param training the shared trainer's options
 * @param options  the CPO options
 */
public record CpoConfig(TrainingArguments training, Options options) implements AlgorithmConfig {
    /** The file a run saves its resolved configuration to. */
    public static final String FILE_NAME = "cpo_config.json";

    private static final Set<String> OPTION_NAMES = OptionRecords.names(Options.class);

    /**
     * The CPO options under TRL's names, with TRL's defaults.
     *
     * @param maxLength      {@code max_length} (1024; null: no truncation): tokens of prompt + completion; longer
     *                       pairs are truncated as DPO's are (keep_start)
     * @param beta           {@code beta} (0.1)
     * @param labelSmoothing {@code label_smoothing} (0): the sigmoid and simpo losses' ε
     * @param lossType       {@code loss_type} (sigmoid)
     * @param disableDropout {@code disable_dropout} (true): here, LoRA's dropout off
     * @param cpoAlpha       {@code cpo_alpha} (1.0): weight of the chosen responses' negative log-likelihood
     * @param simpoGamma     {@code simpo_gamma} (0.5): SimPO's target reward margin γ
     * @param alpha          {@code alpha} (0.0): AlphaPO's reward shape; 0 is the log-probability itself
     */
    public record Options(Integer maxLength, double beta, double labelSmoothing, CpoLossType lossType,
                          boolean disableDropout, double cpoAlpha, double simpoGamma, double alpha) {
        /** Validates the values. */
        public Options {
            require(maxLength == null || maxLength > 0, "max_length must be > 0 or null, got " + maxLength);
            require(beta > 0 && Double.isFinite(beta), "beta must be > 0, got " + beta);
            require(labelSmoothing >= 0 && labelSmoothing <= 0.5, "label_smoothing must be in [0, 0.5], got "
                    + labelSmoothing);
            require(lossType != null, "loss_type must be set");
            require(cpoAlpha >= 0 && Double.isFinite(cpoAlpha), "cpo_alpha must be >= 0, got " + cpoAlpha);
            require(Double.isFinite(simpoGamma), "simpo_gamma must be a number, got " + simpoGamma);
            require(Double.isFinite(alpha), "alpha must be a number, got " + alpha);
            require(labelSmoothing == 0 || lossType == CpoLossType.SIGMOID || lossType == CpoLossType.SIMPO,
                    "label_smoothing applies to the sigmoid and simpo losses only, not " + lossType);
        }
    }

    /** Validates that both parts are present. */
    public CpoConfig {
        require(training != null && options != null, "a CPO configuration needs training arguments and options");
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new InputException(message);
        }
    }

    /** TRL's defaults ({@code output_dir} "trainer_output"). */
    public static CpoConfig defaults() {
        TrainingArguments training = TrainingArguments.defaults().withOptions(TrainingArguments.trlDefaults(1e-6));
        return new CpoConfig(training, new Options(1024, 0.1, 0.0, CpoLossType.SIGMOID, true, 1.0, 0.5, 0.0));
    }

    /** Every option name a CPO configuration accepts: the training options and the CPO options. */
    public static Set<String> allOptionNames() {
        return OptionRecords.withTrainingNames(OPTION_NAMES);
    }

    /** Reads a YAML or JSON configuration file over TRL's defaults. */
    public static CpoConfig load(Path file) {
        return fromOptions(TrainingArguments.readOptions(file), file.toString(), defaults());
    }

    /**
     * {@code base} with the given options (snake_case names of training and CPO options) replaced.
     *
     * @param source names where the options came from in error messages
     * @throws InputException naming {@code source} and the option for an unknown name, a wrong type or a bad value
     */
    public static CpoConfig fromOptions(Map<String, ?> options, String source, CpoConfig base) {
        return OptionRecords.algorithmConfig(options, source, base.training(), base.options(), Options.class,
                CpoConfig::new);
    }

    /** This configuration with the given options replaced (see {@link #fromOptions}). */
    public CpoConfig withOptions(Map<String, ?> options) {
        return fromOptions(options, "options", this);
    }

    /** The loss these options define. */
    public CpoLoss loss() {
        return new CpoLoss(options.lossType(), options.beta(), options.labelSmoothing(), options.simpoGamma(),
                options.alpha(), options.cpoAlpha());
    }
}
