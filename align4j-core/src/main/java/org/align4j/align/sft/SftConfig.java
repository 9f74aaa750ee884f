package org.align4j.align.sft;

import java.util.Map;
import java.util.Set;
import org.align4j.InputException;
import org.align4j.data.JsonlDataset;
import org.align4j.data.TruncationMode;
import org.align4j.train.OptionRecords;

/**
 * The SFT-specific options of TRL's {@code SFTConfig} (the trainer options are
 * {@link org.align4j.train.TrainingArguments}), with TRL's names and defaults.
 *
 * @param maxLength          max_length: sequences are truncated to this many tokens (1024; null: no truncation)
 * @param truncationMode     truncation_mode: which end a truncated sequence keeps (keep_start)
 * @param packing            packing: concatenate examples into rows of max_length tokens (false)
 * @param packingStrategy    packing_strategy: "wrapped" (rows filled by concatenation, the only strategy here) or
 *                           TRL's default "bfd" (best-fit decreasing with per-document attention), refused with packing
 * @param evalPacking        eval_packing: pack the evaluation set (null: as packing)
 * @param completionOnlyLoss completion_only_loss: train only on completions of prompt-completion data (null, TRL's
 *                           default: true)
 * @param assistantOnlyLoss  assistant_only_loss: train only on the tokens of conversational data that the chat
 *                           template's {% generation %} blocks produce (false)
 * @param lossType           loss_type: "nll" (null means it); TRL's "dft" is refused
 * @param datasetTextField   dataset_text_field: the JSONL field of language-modelling text ("text")
 * @param eosToken           eos_token: the token appended to each text and completion (null: the tokenizer's eos)
 * @param padToken           pad_token: the padding token (null: the tokenizer's pad token, else its eos token)
 * @param chatTemplatePath   chat_template_path: a Jinja file whose chat template renders conversational data and is
 *                           saved with the model (null: the tokenizer's)
 * @param shuffleDataset     shuffle_dataset: shuffle the training examples once, with the run's seed, before
 *                           tokenizing (false; the trainer also shuffles every epoch)
 */
public record SftConfig(Integer maxLength, TruncationMode truncationMode, boolean packing, String packingStrategy,
                        Boolean evalPacking, Boolean completionOnlyLoss, boolean assistantOnlyLoss, String lossType,
                        String datasetTextField, String eosToken, String padToken, String chatTemplatePath,
                        boolean shuffleDataset) {
    /** The file a run saves its resolved options to (the training options, then these). */
    public static final String FILE_NAME = "sft_config.json";
    /** The option names, snake_case as in TRL. */
    public static final Set<String> OPTION_NAMES = OptionRecords.names(SftConfig.class);

    /** TRL's defaults. */
    public static SftConfig defaults() {
        return new SftConfig(1024, TruncationMode.KEEP_START, false, "bfd", null, null, false, null,
                JsonlDataset.TEXT_FIELD, null, null, null, false);
    }

    /** These options with packing (wrapped) into rows of {@code length} tokens. */
    public SftConfig withPacking(int length) {
        return new SftConfig(length, truncationMode, true, "wrapped", evalPacking, completionOnlyLoss,
                assistantOnlyLoss, lossType, datasetTextField, eosToken, padToken, chatTemplatePath, shuffleDataset);
    }

    /** Whether the loss covers only the completions of prompt-completion data (completion_only_loss, default true). */
    public boolean trainsOnCompletionsOnly() {
        return completionOnlyLoss == null || completionOnlyLoss;
    }

    /** Whether the evaluation set is packed (eval_packing, else packing). */
    public boolean packsEvaluation() {
        return evalPacking != null ? evalPacking : packing;
    }

    /** Validates the values, refusing the ones whose behaviour is not implemented with the reason. */
    public SftConfig {
        if (maxLength != null && maxLength <= 0) {
            throw new InputException("max_length must be positive or null, got " + maxLength);
        }
        if (truncationMode == null) {
            throw new InputException("truncation_mode must be set");
        }
        if (!"bfd".equals(packingStrategy) && !"wrapped".equals(packingStrategy)) {
            throw new InputException("packing_strategy must be bfd or wrapped, got " + packingStrategy);
        }
        if ((packing || Boolean.TRUE.equals(evalPacking)) && maxLength == null) {
            throw new InputException("packing needs max_length, the length of a packed row");
        }
        if ((packing || Boolean.TRUE.equals(evalPacking)) && packingStrategy.equals("bfd")) {
            throw new InputException("packing_strategy bfd (best-fit decreasing, each document attending only to"
                    + " itself) is not implemented; use packing_strategy wrapped (rows filled by concatenation)");
        }
        if (lossType != null && !lossType.equals("nll")) {
            throw new InputException("loss_type '" + lossType + "' is not implemented for SFT (here: nll)");
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
