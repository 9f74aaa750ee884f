package org.align4j.align.sft;

import java.util.Map;
import java.util.Set;
import org.align4j.InputException;
import org.align4j.data.JsonlDataset;
import org.align4j.train.OptionRecords;

/**
 * The SFT-specific options of TRL's {@code SFTConfig} (the trainer options are
 * {@link org.align4j.train.TrainingArguments}).
 *
 * @param maxLength          max_length: sequences are truncated to this many tokens, keeping the start (1024)
 * @param packing            packing: concatenate examples into rows of max_length tokens (false)
 * @param completionOnlyLoss completion_only_loss: train only on completions of prompt-completion data (true)
 * @param datasetTextField   dataset_text_field: the JSONL field of language-modelling text ("text")
 * @param eosToken           eos_token: the token appended to each text and completion (null: the tokenizer's eos)
 * @param chatTemplatePath   chat_template_path: a Jinja file, or a tokenizer folder, whose chat template renders
 *                           conversational data and is saved with the model (null: the tokenizer's)
 */
public record SftConfig(int maxLength, boolean packing, boolean completionOnlyLoss, String datasetTextField,
                        String eosToken, String chatTemplatePath) {
    /** The file a run saves its resolved options to (the training options, then these). */
    public static final String FILE_NAME = "sft_config.json";
    /** The option names, snake_case as in TRL. */
    public static final Set<String> OPTION_NAMES = OptionRecords.names(SftConfig.class);

    /** TRL's defaults. */
    public static SftConfig defaults() {
        return new SftConfig(1024, false, true, JsonlDataset.TEXT_FIELD, null, null);
    }

    /** These options with packing into rows of {@code length} tokens. */
    public SftConfig withPacking(int length) {
        return new SftConfig(length, true, completionOnlyLoss, datasetTextField, eosToken, chatTemplatePath);
    }

    /** Validates the values. */
    public SftConfig {
        if (maxLength <= 0) {
            throw new InputException("max_length must be positive, got " + maxLength);
        }
        if (datasetTextField == null || datasetTextField.isBlank()) {
            throw new InputException("dataset_text_field must name a field, got " + datasetTextField);
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
