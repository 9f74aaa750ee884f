package org.align4j.align.dpo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.align4j.InputException;
import org.align4j.data.TruncationMode;
import org.align4j.train.AlgorithmConfig;
import org.align4j.train.OptionRecords;
import org.align4j.train.TrainingArguments;

/**
 * TRL's {@code DPOConfig} (TRL 1.x names and defaults): the shared {@link TrainingArguments} with DPO's defaults
 * ({@code learning_rate} 1e-6, {@code logging_steps} 10) and the DPO options of {@link Options}. A configuration file
 * (YAML or JSON) uses the snake_case names of both in one mapping, as a TRL script's config does; the options TRL has
 * and this trainer does not need (devices, precision, dropout, padding-free, vision) are not accepted.
 *
 * @param training the shared trainer's options
 * @param options  the DPO options
 */
public record DpoConfig(TrainingArguments training, Options options) implements AlgorithmConfig {
    /** The file a run saves its resolved configuration to. */
    public static final String FILE_NAME = "dpo_config.json";

    private static final Set<String> OPTION_NAMES = OptionRecords.names(Options.class);
    private static final Set<String> LIST_OPTIONS = Set.of("loss_type", "loss_weights");

    /**
     * The DPO options of TRL's {@code DPOConfig}, under TRL's names with TRL's defaults, plus {@code reference_free}
     * (TRL 0.x) and {@code typo_lambda} (TYPO, not in TRL). The loss options are those of {@link DpoLossConfig}.
     *
     * @param beta                   {@code beta} (0.1)
     * @param labelSmoothing         {@code label_smoothing} (0.0)
     * @param lossType               {@code loss_type} (["sigmoid"]); a string with commas is a list
     * @param lossWeights            {@code loss_weights} (null: all 1.0)
     * @param fDivergenceType        {@code f_divergence_type} ("reverse_kl")
     * @param fAlphaDivergenceCoef   {@code f_alpha_divergence_coef} (0.5)
     * @param discopopTau            {@code discopop_tau} (0.05)
     * @param useWeighting           {@code use_weighting} (false): WPO
     * @param ldAlpha                {@code ld_alpha} (null): LD-DPO
     * @param referenceFree          {@code reference_free} (false)
     * @param typoLambda             {@code typo_lambda} (1.0): TYPO's λ
     * @param maxLength              {@code max_length} (1024; null: no truncation): tokens of prompt + completion
     * @param truncationMode         {@code truncation_mode} ("keep_start")
     * @param precomputeRefLogProbs  {@code precompute_ref_log_probs} (false): compute the reference log-probs once
     *                               before training and keep them in {@code output_dir/ref_logps-<key>.json}
     * @param precomputeRefBatchSize {@code precompute_ref_batch_size} (null: the train / eval batch size)
     * @param syncRefModel           {@code sync_ref_model} (false): TR-DPO reference updates
     * @param refModelMixupAlpha     {@code ref_model_mixup_alpha} (0.6)
     * @param refModelSyncSteps      {@code ref_model_sync_steps} (512)
     */
    public record Options(double beta, double labelSmoothing, List<String> lossType, List<Double> lossWeights,
                          String fDivergenceType, double fAlphaDivergenceCoef, double discopopTau, boolean useWeighting,
                          Double ldAlpha, boolean referenceFree, double typoLambda, Integer maxLength,
                          TruncationMode truncationMode, boolean precomputeRefLogProbs, Integer precomputeRefBatchSize,
                          boolean syncRefModel, double refModelMixupAlpha, int refModelSyncSteps) {

        /** Splits comma-separated loss types, and validates every option (messages name the option). */
        public Options {
            List<String> types = new ArrayList<>();
            for (String entry : lossType == null ? List.<String>of() : lossType) {
                Arrays.stream(entry.split(",")).map(String::trim).filter(t -> !t.isEmpty()).forEach(types::add);
            }
            lossType = List.copyOf(types);
            lossWeights = lossWeights == null ? null : Collections.unmodifiableList(new ArrayList<>(lossWeights));
            require(fDivergenceType != null, "f_divergence_type must be set");
            require(truncationMode != null, "truncation_mode must be set");
            require(maxLength == null || maxLength > 0, "max_length must be > 0 or null, got " + maxLength);
            require(precomputeRefBatchSize == null || precomputeRefBatchSize > 0,
                    "precompute_ref_batch_size must be > 0, got " + precomputeRefBatchSize);
            require(refModelMixupAlpha >= 0 && refModelMixupAlpha <= 1,
                    "ref_model_mixup_alpha must be in [0, 1], got " + refModelMixupAlpha);
            require(refModelSyncSteps > 0, "ref_model_sync_steps must be > 0, got " + refModelSyncSteps);
            require(!(syncRefModel && precomputeRefLogProbs), "sync_ref_model cannot be combined with "
                    + "precompute_ref_log_probs: precomputed reference log-probs cannot follow a moving reference");
            lossConfig(beta, labelSmoothing, lossType, lossWeights, fDivergenceType, fAlphaDivergenceCoef, discopopTau,
                    useWeighting, ldAlpha, referenceFree, typoLambda);
        }

        /** The loss options as a {@link DpoLossConfig}. */
        public DpoLossConfig lossConfig() {
            return lossConfig(beta, labelSmoothing, lossType, lossWeights, fDivergenceType, fAlphaDivergenceCoef,
                    discopopTau, useWeighting, ldAlpha, referenceFree, typoLambda);
        }

        private static DpoLossConfig lossConfig(double beta, double labelSmoothing, List<String> lossType,
                                                List<Double> lossWeights, String fDivergenceType,
                                                double fAlphaDivergenceCoef, double discopopTau, boolean useWeighting,
                                                Double ldAlpha, boolean referenceFree, double typoLambda) {
            DpoLossConfig.Builder b = DpoLossConfig.builder().beta(beta).labelSmoothing(labelSmoothing)
                    .lossType(lossType.toArray(String[]::new))
                    .fDivergenceType(FDivergenceType.fromName(fDivergenceType))
                    .fAlphaDivergenceCoef(fAlphaDivergenceCoef).discopopTau(discopopTau).useWeighting(useWeighting)
                    .referenceFree(referenceFree).typoLambda(typoLambda);
            if (lossWeights != null) {
                b.lossWeights(lossWeights.stream().mapToDouble(w -> {
                    require(w != null, "loss_weights must be numbers, got " + lossWeights);
                    return w;
                }).toArray());
            }
            if (ldAlpha != null) {
                b.ldAlpha(ldAlpha);
            }
            return b.build();
        }
    }

    /** Validates that both parts are present. */
    public DpoConfig {
        require(training != null && options != null, "a DPO configuration needs training arguments and DPO options");
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new InputException(message);
        }
    }

    /** TRL's defaults: {@code DPOConfig()} with {@code output_dir} "trainer_output". */
    public static DpoConfig defaults() {
        TrainingArguments training = TrainingArguments.defaults().withOptions(Map.of("learning_rate", 1e-6,
                "logging_steps", 10));
        return new DpoConfig(training, new Options(DpoLossConfig.DEFAULT_BETA, 0.0, List.of("sigmoid"), null,
                "reverse_kl", DpoLossConfig.DEFAULT_F_ALPHA_DIVERGENCE_COEF, DpoLossConfig.DEFAULT_DISCOPOP_TAU, false,
                null, false, DpoLossConfig.DEFAULT_TYPO_LAMBDA, 1024, TruncationMode.KEEP_START, false, null, false,
                0.6, 512));
    }

    /** The DPO option names (snake_case), in declaration order; the training options are those of {@link TrainingArguments}. */
    public static Set<String> optionNames() {
        return OPTION_NAMES;
    }

    /** Every option name a DPO configuration accepts: {@link TrainingArguments#optionNames()} and {@link #optionNames()}. */
    public static Set<String> allOptionNames() {
        return OptionRecords.withTrainingNames(OPTION_NAMES);
    }

    /** The DPO loss options. */
    public DpoLossConfig loss() {
        return options.lossConfig();
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
        Map<String, Object> dpo = new LinkedHashMap<>();
        split.own().forEach((key, value) -> dpo.put(key, LIST_OPTIONS.contains(key) && value instanceof String s
                ? Arrays.asList(s.split(",")) : value));
        TrainingArguments args = TrainingArguments.fromOptions(split.training(), source, base.training());
        return new DpoConfig(args, OptionRecords.merge(base.options(), dpo, Options.class, source));
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
