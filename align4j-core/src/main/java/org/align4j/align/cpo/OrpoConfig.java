package org.align4j.align.cpo;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.align4j.InputException;
import org.align4j.train.AlgorithmConfig;
import org.align4j.train.OptionRecords;
import org.align4j.train.TrainingArguments;

/**
 * TRL's {@code ORPOConfig}: the shared {@link TrainingArguments} with ORPO's defaults ({@code learning_rate} 1e-6,
 * {@code logging_steps} 10, {@code gradient_checkpointing} true) and the options of {@link Options}.
 *
 * @param training the shared trainer's options
 * @param options  the ORPO options
 */
public record OrpoConfig(TrainingArguments training, Options options) implements AlgorithmConfig {
    /** The file a run saves its resolved configuration to. */
    public static final String FILE_NAME = "orpo_config.json";

    private static final Set<String> OPTION_NAMES = OptionRecords.names(Options.class);

    /**
     * The ORPO options under TRL's names, with TRL's defaults.
     *
     * @param maxLength      {@code max_length} (1024; null: no truncation), as {@link CpoConfig.Options#maxLength}
     * @param beta           {@code beta} (0.1): λ, the weight of the odds-ratio term
     * @param disableDropout {@code disable_dropout} (true): here, LoRA's dropout off
     */
    public record Options(Integer maxLength, double beta, boolean disableDropout) {
        /** Validates the values. */
        public Options {
            if (maxLength != null && maxLength <= 0) {
                throw new InputException("max_length must be > 0 or null, got " + maxLength);
            }
            if (!(beta >= 0 && Double.isFinite(beta))) {
                throw new InputException("beta must be >= 0, got " + beta);
            }
        }
    }

    /** Validates that both parts are present. */
    public OrpoConfig {
        if (training == null || options == null) {
            throw new InputException("an ORPO configuration needs training arguments and options");
        }
    }

    /** TRL's defaults ({@code output_dir} "trainer_output"). */
    public static OrpoConfig defaults() {
        TrainingArguments training = TrainingArguments.defaults().withOptions(TrainingArguments.trlDefaults(1e-6));
        return new OrpoConfig(training, new Options(1024, 0.1, true));
    }

    /** Every option name an ORPO configuration accepts: the training options and the ORPO options. */
    public static Set<String> allOptionNames() {
        return OptionRecords.withTrainingNames(OPTION_NAMES);
    }

    /** Reads a YAML or JSON configuration file over TRL's defaults. */
    public static OrpoConfig load(Path file) {
        return fromOptions(TrainingArguments.readOptions(file), file.toString(), defaults());
    }

    /**
     * {@code base} with the given options (snake_case names of training and ORPO options) replaced.
     *
     * @param source names where the options came from in error messages
     * @throws InputException naming {@code source} and the option for an unknown name, a wrong type or a bad value
     */
    public static OrpoConfig fromOptions(Map<String, ?> options, String source, OrpoConfig base) {
        return OptionRecords.algorithmConfig(options, source, base.training(), base.options(), Options.class,
                OrpoConfig::new);
    }

    /** This configuration with the given options replaced (see {@link #fromOptions}). */
    public OrpoConfig withOptions(Map<String, ?> options) {
        return fromOptions(options, "options", this);
    }

    /** The loss these options define. */
    public OrpoLoss loss() {
        return new OrpoLoss(options.beta());
    }
}
