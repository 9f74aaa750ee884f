package org.align4j.align.dpo;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.align4j.InputException;
import org.align4j.data.TruncationMode;
import org.align4j.train.AlgorithmConfig;
import org.align4j.train.OptionRecords;
import org.align4j.train.TrainingArguments;

/**
 * TRL's {@code DPOConfig} (TRL 1.x names and defaults): the shared {@link TrainingArguments} with DPO's defaults
 * ({@code learning_rate} 1e-6, {@code logging_steps} 10, {@code gradient_checkpointing} true), the loss options of
 * {@link DpoLossConfig} and the data and reference options of {@link Options}. A configuration file (YAML or JSON)
 * uses the snake_case names of all three in one mapping, as a TRL script's config does; the options TRL has that
 * cannot change the result here are accepted with a warning ({@link org.align4j.train.InapplicableOptions}).
 *
 * @param training the shared trainer's options
 * @param loss     the loss options
 * @param options  the data and reference options
 */
public record DpoConfig(TrainingArguments training, DpoLossConfig loss, Options options) implements AlgorithmConfig {
    /** The file a run saves its resolved configuration to. */
    public static final String FILE_NAME = "dpo_config.json";

    private static final Set<String> OPTION_NAMES = optionNames(DpoLossConfig.optionNames(),
            OptionRecords.names(Options.class));

    /**
     * The data and reference options of TRL's {@code DPOConfig}, under TRL's names with TRL's defaults.
     *
     * @param maxLength              {@code max_length} (1024; null: no truncation): tokens of prompt + completion
     * @param truncationMode         {@code truncation_mode} ("keep_start")
     * @param precomputeRefLogProbs  {@code precompute_ref_log_probs} (false): compute the reference log-probs once
     *                               before training and keep them in {@code output_dir/ref_logps-<key>.json}
     * @param precomputeRefBatchSize {@code precompute_ref_batch_size} (null: the train / eval batch size)
     * @param syncRefModel           {@code sync_ref_model} (false): TR-DPO reference updates
     * @param refModelMixupAlpha     {@code ref_model_mixup_alpha} (0.6)
     * @param refModelSyncSteps      {@code ref_model_sync_steps} (512)
     * @param disableDropout         {@code disable_dropout} (true): no dropout in the policy; here that turns LoRA's
     *                               {@code lora_dropout} off (the models apply no dropout of their own)
     * @param padToken               {@code pad_token} (null: the tokenizer's pad token, else its eos token; deprecated
     *                               in TRL, which takes the tokenizer's): the padding id
     */
    public record Options(Integer maxLength, TruncationMode truncationMode, boolean precomputeRefLogProbs,
                          Integer precomputeRefBatchSize, boolean syncRefModel, double refModelMixupAlpha,
                          int refModelSyncSteps, boolean disableDropout, String padToken) {

        /** Validates every option (messages name the option). */
        public Options {
            require(truncationMode != null, "truncation_mode must be set");
            require(maxLength == null || maxLength > 0, "max_length must be > 0 or null, got " + maxLength);
            require(precomputeRefBatchSize == null || precomputeRefBatchSize > 0,
                    "precompute_ref_batch_size must be > 0, got " + precomputeRefBatchSize);
            require(refModelMixupAlpha >= 0 && refModelMixupAlpha <= 1,
                    "ref_model_mixup_alpha must be in [0, 1], got " + refModelMixupAlpha);
            require(refModelSyncSteps > 0, "ref_model_sync_steps must be > 0, got " + refModelSyncSteps);
            require(!(syncRefModel && precomputeRefLogProbs), "sync_ref_model cannot be combined with "
                    + "precompute_ref_log_probs: precomputed reference log-probs cannot follow a moving reference");
        }
    }

    /** Validates that every part is present. */
    public DpoConfig {
        require(training != null && loss != null && options != null,
                "a DPO configuration needs training arguments, loss options and DPO options");
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new InputException(message);
        }
    }

    private static Set<String> optionNames(Set<String> loss, Set<String> data) {
        Set<String> names = new LinkedHashSet<>(loss);
        names.addAll(data);
        return Collections.unmodifiableSet(names);
    }

    /** TRL's defaults: {@code DPOConfig()} with {@code output_dir} "trainer_output". */
    public static DpoConfig defaults() {
        TrainingArguments training = TrainingArguments.defaults().withOptions(TrainingArguments.trlDefaults(1e-6));
        return new DpoConfig(training, DpoLossConfig.defaults(),
                new Options(1024, TruncationMode.KEEP_START, false, null, false, 0.6, 512, true, null));
    }

    /** The DPO option names (snake_case): the loss options, then the data and reference options. */
    public static Set<String> optionNames() {
        return OPTION_NAMES;
    }

    /** Every option name a DPO configuration accepts: {@link TrainingArguments#optionNames()} and {@link #optionNames()}. */
    public static Set<String> allOptionNames() {
        return OptionRecords.withTrainingNames(OPTION_NAMES);
    }

    /** Every option by its snake_case name: the training options, the loss options, then the others. */
    @Override
    public Map<String, Object> toOptions() {
        Map<String, Object> all = new LinkedHashMap<>(training.toOptions());
        all.putAll(OptionRecords.toOptions(loss));
        all.putAll(OptionRecords.toOptions(options));
        return all;
    }

    /** Reads a YAML or JSON configuration file ({@code .json}: JSON) over TRL's defaults. */
    public static DpoConfig load(Path file) {
        return fromOptions(TrainingArguments.readOptions(file), file.toString(), defaults());
    }

    /**
     * {@code base} with the given options (snake_case names of training and DPO options) replaced.
     *
     * @param source names where the options came from (a file, "command line") in error messages
     * @throws InputException naming {@code source} and the option for an unknown name (with the closest
     *                                  known one), a value of the wrong type or an invalid value
     */
    public static DpoConfig fromOptions(Map<String, ?> options, String source, DpoConfig base) {
        OptionRecords.Split split = OptionRecords.split(options, OPTION_NAMES, source);
        Map<String, Object> loss = new LinkedHashMap<>(split.own());
        loss.keySet().retainAll(DpoLossConfig.optionNames());
        Map<String, Object> data = new LinkedHashMap<>(split.own());
        data.keySet().removeAll(DpoLossConfig.optionNames());
        TrainingArguments args = TrainingArguments.fromOptions(split.training(), source, base.training());
        return new DpoConfig(args, base.loss().withOptions(loss, source),
                OptionRecords.merge(base.options(), data, Options.class, source));
    }

    /** This configuration with the given options replaced (see {@link #fromOptions}). */
    public DpoConfig withOptions(Map<String, ?> options) {
        return fromOptions(options, "options", this);
    }

    /** {@code precompute_ref_batch_size}, or the training / evaluation batch size when unset. */
    public int precomputeRefBatchSize(boolean evaluation) {
        if (options.precomputeRefBatchSize() != null) {
            return options.precomputeRefBatchSize();
        }
        return evaluation ? training.perDeviceEvalBatchSize() : training.perDeviceTrainBatchSize();
    }
}
