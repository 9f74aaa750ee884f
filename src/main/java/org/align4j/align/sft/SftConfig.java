package org.align4j.align.sft;

import java.util.Map;
import java.util.Set;
import org.align4j.InputException;
import org.align4j.train.OptionRecords;

/**
 * The SFT-specific options of TRL's {@code SFTConfig} (the trainer options are
 * {@link org.align4j.train.TrainingArguments}).
 *
 * @param maxLength          max_length: sequences are truncated to this many tokens, keeping the start (1024)
 * @param packing            packing: concatenate examples into rows of max_length tokens (false)
 * @param completionOnlyLoss completion_only_loss: train only on completions of prompt-completion data (true)
 */
public record SftConfig(int maxLength, boolean packing, boolean completionOnlyLoss) {
    /** The file a run saves its resolved options to (the training options, then these). */
    public static final String FILE_NAME = "sft_config.json";
    /** The option names, snake_case as in TRL. */
    public static final Set<String> OPTION_NAMES = OptionRecords.names(SftConfig.class);

    /** TRL's defaults. */
    public static SftConfig defaults() {
        return new SftConfig(1024, false, true);
    }

    /** Validates the values. */
    public SftConfig {
        if (maxLength <= 0) {
            throw new InputException("max_length must be positive, got " + maxLength);
        }
    }

    /**
     * {@code defaults()} with the given options, read as every configuration record is ({@link OptionRecords}):
     * values may be text, as from the command line.
     *
     * @throws InputException naming {@code source} and the option for an unknown name, a wrong type or a bad value
     */
    public static SftConfig fromOptions(Map<String, ?> options, String source) {
        return OptionRecords.merge(defaults(), options, SftConfig.class, source);
    }
}
