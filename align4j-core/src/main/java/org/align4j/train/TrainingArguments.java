package org.align4j.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.align4j.InputException;

/**
 * The options of a training run, named and defaulted as Hugging Face {@code TrainingArguments} (which TRL's configs
 * extend) name and default them. Configuration files and, later, command-line flags use the snake_case HF names
 * ({@code learning_rate}, {@code per_device_train_batch_size}...); each component's Javadoc gives its HF name.
 * Algorithm-specific configurations choose their own defaults by passing a base to {@link #fromOptions}.
 *
 * <p>Step options ({@code logging_steps}, {@code eval_steps}, {@code save_steps}) accept, as in HF, either a number
 * of steps or a fraction of {@code max_steps} below 1.
 *
 * @param outputDir                 {@code output_dir}: the run folder (checkpoints, final model, logs, plots)
 * @param learningRate              {@code learning_rate}: peak learning rate (HF default 5e-5)
 * @param lrSchedulerType           {@code lr_scheduler_type}: linear (default), cosine, cosine_with_restarts,
 *                                  polynomial, constant, constant_with_warmup, inverse_sqrt, cosine_with_min_lr,
 *                                  warmup_stable_decay ({@link LearningRateSchedule})
 * @param lrSchedulerKwargs         {@code lr_scheduler_kwargs}: the type's keyword arguments in transformers, e.g.
 *                                  {@code num_cycles} (cosine), {@code min_lr} (cosine_with_min_lr), {@code lr_end}
 *                                  and {@code power} (polynomial), {@code num_decay_steps} (warmup_stable_decay)
 * @param warmupSteps               {@code warmup_steps}: linear warmup steps, or below 1 a fraction of the training
 *                                  steps (rounded up), as transformers 5 reads it; overrides {@code warmup_ratio}
 *                                  when positive
 * @param warmupRatio               {@code warmup_ratio} (deprecated in transformers 5; null: 0): warmup as a fraction
 *                                  of the training steps (rounded up)
 * @param numTrainEpochs            {@code num_train_epochs}: passes over the training set (may be fractional;
 *                                  ignored when {@code max_steps} is positive)
 * @param maxSteps                  {@code max_steps}: total optimizer steps; -1 derives them from the epochs
 * @param perDeviceTrainBatchSize   {@code per_device_train_batch_size}: examples per micro-batch
 * @param perDeviceEvalBatchSize    {@code per_device_eval_batch_size}: examples per evaluation batch
 * @param gradientAccumulationSteps {@code gradient_accumulation_steps}: micro-batches per optimizer step
 * @param gradientCheckpointing     {@code gradient_checkpointing}: keep only each block's input in the forward pass
 *                                  and recompute the block in the backward pass (less memory, one more forward;
 *                                  {@link org.align4j.autograd.Checkpoint})
 * @param neftuneNoiseAlpha         {@code neftune_noise_alpha}: NEFTune's α, uniform noise of α / sqrt(seq · d) on the
 *                                  input embeddings of training forwards (null: none)
 * @param gradientCheckpointingKwargs {@code gradient_checkpointing_kwargs}: {@code use_reentrant} is accepted and
 *                                  ignored (see {@link #warnings()})
 * @param dataloaderDropLast        {@code dataloader_drop_last}: drop an epoch's last, incomplete micro-batch
 * @param trainSamplingStrategy     {@code train_sampling_strategy}: {@code random} (each epoch a seeded shuffle) or
 *                                  {@code sequential} (dataset order, as KTO needs)
 * @param maxGradNorm               {@code max_grad_norm}: gradient clipping threshold (global L2 norm); 0 disables
 * @param weightDecay               {@code weight_decay}: decoupled (AdamW) or L2 (SGD) weight decay, applied to
 *                                  every parameter except biases and normalisation weights
 * @param adamBeta1                 {@code adam_beta1}
 * @param adamBeta2                 {@code adam_beta2}
 * @param adamEpsilon               {@code adam_epsilon}
 * @param optim                     {@code optim}: {@code adamw_torch} (default) or {@code sgd}
 * @param optimArgs                 {@code optim_args}: comma-separated {@code key=value} optimizer options; for
 *                                  sgd: {@code momentum}, {@code dampening}, {@code nesterov}
 * @param seed                      {@code seed}: seeds the data shuffling (epoch e uses seed + e)
 * @param loggingStrategy           {@code logging_strategy}: when to log the training window, steps (default), epoch
 *                                  or no
 * @param loggingSteps              {@code logging_steps}: log every this many optimizer steps
 * @param loggingFirstStep          {@code logging_first_step}: also log after the first step
 * @param evalStrategy              {@code eval_strategy}: when to evaluate, no (default), steps or epoch
 * @param evalOnStart               {@code eval_on_start}: evaluate once before the first step (a sanity check)
 * @param evalSteps                 {@code eval_steps}: evaluation interval for the steps strategy (default:
 *                                  {@code logging_steps})
 * @param saveStrategy              {@code save_strategy}: when to checkpoint, steps (default), epoch or no
 * @param saveSteps                 {@code save_steps}: checkpoint interval for the steps strategy
 * @param saveTotalLimit            {@code save_total_limit}: keep at most this many checkpoints (the newest and
 *                                  the best are never deleted); null keeps all
 * @param metricForBestModel        {@code metric_for_best_model}: evaluation metric that decides
 *                                  {@code best_metric} and {@code best_model_checkpoint}, e.g. {@code loss}
 * @param loadBestModelAtEnd        {@code load_best_model_at_end}: end with the weights of the best checkpoint by
 *                                  {@code metric_for_best_model} (then "loss" when unset); needs eval_strategy and
 *                                  save_strategy to match (save_steps a multiple of eval_steps)
 * @param greaterIsBetter           {@code greater_is_better}: whether a larger metric is better (default: false
 *                                  for metrics ending in "loss", true otherwise)
 * @param resumeFromCheckpoint      {@code resume_from_checkpoint}: a checkpoint folder, or {@code true} /
 *                                  {@code latest} for the newest {@code checkpoint-N} in {@code output_dir}
 * @param disableTqdm               {@code disable_tqdm}: no progress bar (null, HF's default: false here)
 * @param reportTo                  {@code report_to}: where metrics go besides {@code metrics.jsonl}: "none"
 *                                  (default), "tensorboard" or "all" (= tensorboard); other trackers HF knows are
 *                                  warned about as unavailable
 * @param loggingDir                {@code logging_dir}: the TensorBoard folder (default
 *                                  {@code output_dir/runs/<date>_<host>}, as HF's)
 * @param plotLoss                  {@code plot_loss} (LLaMA-Factory's name): write {@code training_loss.png}
 *                                  at the end of training
 */
public record TrainingArguments(
        String outputDir,
        double learningRate,
        LearningRateSchedule.Type lrSchedulerType,
        Map<String, Object> lrSchedulerKwargs,
        double warmupSteps,
        Double warmupRatio,
        double numTrainEpochs,
        long maxSteps,
        int perDeviceTrainBatchSize,
        int perDeviceEvalBatchSize,
        int gradientAccumulationSteps,
        boolean gradientCheckpointing,
        Map<String, Boolean> gradientCheckpointingKwargs,
        Double neftuneNoiseAlpha,
        boolean dataloaderDropLast,
        String trainSamplingStrategy,
        double maxGradNorm,
        double weightDecay,
        double adamBeta1,
        double adamBeta2,
        double adamEpsilon,
        String optim,
        String optimArgs,
        long seed,
        IntervalStrategy loggingStrategy,
        double loggingSteps,
        boolean loggingFirstStep,
        IntervalStrategy evalStrategy,
        boolean evalOnStart,
        Double evalSteps,
        IntervalStrategy saveStrategy,
        double saveSteps,
        Integer saveTotalLimit,
        boolean loadBestModelAtEnd,
        String metricForBestModel,
        Boolean greaterIsBetter,
        String resumeFromCheckpoint,
        Boolean disableTqdm,
        List<String> reportTo,
        String loggingDir,
        boolean plotLoss) {

    /** HF {@code IntervalStrategy}: when evaluation or checkpointing happens. */
    public enum IntervalStrategy {
        /** Never. */
        NO,
        /** Every {@code eval_steps} / {@code save_steps} optimizer steps. */
        STEPS,
        /** At the end of every epoch. */
        EPOCH;

        /** The name configuration files use. */
        @JsonValue
        public String hfName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The strategy named {@code name} (no, steps or epoch). */
        @JsonCreator
        public static IntervalStrategy of(String name) {
            return Arrays.stream(values()).filter(s -> s.hfName().equals(name.trim().toLowerCase(Locale.ROOT)))
                    .findFirst().orElseThrow(() -> new InputException(
                            "must be one of no, steps, epoch; got '" + name + "'"));
        }

        @Override
        public String toString() {
            return hfName();
        }
    }

    /** Whether each epoch visits the training set in a seeded random order ({@code train_sampling_strategy}). */
    public boolean shufflesTrainingSet() {
        return trainSamplingStrategy.equals("random");
    }

    /** transformers' {@code output_dir} when none is given. */
    public static final String DEFAULT_OUTPUT_DIR = "trainer_output";
    /** The {@code optim} values this trainer implements (adamw_torch_fused is the same AdamW). */
    public static final Set<String> OPTIMIZERS = Set.of(AdamW.NAME, AdamW.FUSED_NAME, Sgd.NAME, MeZo.NAME);
    private static final Set<String> CHECKPOINTING_KWARGS = Set.of("use_reentrant");
    private static final Set<String> REPORT_TO = Set.of("none", "all", "tensorboard");
    /** The integrations HF's report_to knows that have no counterpart here. */
    private static final Set<String> UNAVAILABLE_TRACKERS = Set.of("azure_ml", "clearml", "codecarbon", "comet_ml",
            "dagshub", "dvclive", "flyte", "mlflow", "neptune", "swanlab", "trackio", "wandb");

    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final Set<String> OPTION_NAMES = OptionRecords.names(TrainingArguments.class);

    /** Validates every option; messages name the option by its HF name. */
    public TrainingArguments {
        require(lrSchedulerType != null, "lr_scheduler_type must be set");
        lrSchedulerKwargs = LearningRateSchedule.checkKwargs(lrSchedulerType, learningRate,
                lrSchedulerKwargs == null ? Map.of() : lrSchedulerKwargs);
        outputDir = outputDir == null ? DEFAULT_OUTPUT_DIR : outputDir;
        require(!outputDir.isBlank(), "output_dir must not be blank");
        require(learningRate >= 0, "learning_rate must be >= 0, got " + learningRate);
        require(warmupSteps >= 0 && Double.isFinite(warmupSteps)
                && (warmupSteps < 1 || warmupSteps == Math.rint(warmupSteps)), "warmup_steps must be a whole number of steps or a fraction below 1, got " + warmupSteps);
        require(warmupRatio == null || warmupRatio >= 0 && warmupRatio <= 1,
                "warmup_ratio must be in [0, 1], got " + warmupRatio);
        require(maxSteps > 0 || numTrainEpochs > 0,
                "num_train_epochs must be > 0 when max_steps is not set, got " + numTrainEpochs);
        require(perDeviceTrainBatchSize > 0,
                "per_device_train_batch_size must be > 0, got " + perDeviceTrainBatchSize);
        require(perDeviceEvalBatchSize > 0, "per_device_eval_batch_size must be > 0, got " + perDeviceEvalBatchSize);
        require("random".equals(trainSamplingStrategy) || "sequential".equals(trainSamplingStrategy),
                "train_sampling_strategy must be random or sequential (group_by_length is not implemented), got '"
                        + trainSamplingStrategy + "'");
        require(gradientAccumulationSteps > 0,
                "gradient_accumulation_steps must be > 0, got " + gradientAccumulationSteps);
        gradientCheckpointingKwargs = gradientCheckpointingKwargs == null ? Map.of()
                : checkpointingKwargs(gradientCheckpointingKwargs);
        require(neftuneNoiseAlpha == null || neftuneNoiseAlpha > 0 && Double.isFinite(neftuneNoiseAlpha),
                "neftune_noise_alpha must be a positive number or null, got " + neftuneNoiseAlpha);
        require(weightDecay >= 0, "weight_decay must be >= 0, got " + weightDecay);
        require(adamBeta1 >= 0 && adamBeta1 < 1, "adam_beta1 must be in [0, 1), got " + adamBeta1);
        require(adamBeta2 >= 0 && adamBeta2 < 1, "adam_beta2 must be in [0, 1), got " + adamBeta2);
        require(adamEpsilon >= 0, "adam_epsilon must be >= 0, got " + adamEpsilon);
        require(optim != null && OPTIMIZERS.contains(optim),
                "optim must be one of " + String.join(", ", new TreeSet<>(OPTIMIZERS)) + "; got '" + optim
                        + "'");
        require(loggingStrategy != null, "logging_strategy must be set");
        require(loggingSteps > 0, "logging_steps must be > 0, got " + loggingSteps);
        require(evalStrategy != null, "eval_strategy must be set");
        require(evalSteps == null || evalSteps > 0, "eval_steps must be > 0, got " + evalSteps);
        require(saveStrategy != null, "save_strategy must be set");
        require(saveSteps > 0, "save_steps must be > 0, got " + saveSteps);
        require(saveTotalLimit == null || saveTotalLimit > 0, "save_total_limit must be > 0, got " + saveTotalLimit);
        if (loadBestModelAtEnd) {
            require(evalStrategy != IntervalStrategy.NO && evalStrategy == saveStrategy, "load_best_model_at_end needs"
                    + " eval_strategy and save_strategy to match (and not be 'no'), got " + evalStrategy + " and "
                    + saveStrategy);
            require(evalStrategy != IntervalStrategy.STEPS || evalSteps == null || evalSteps < 1 || saveSteps < 1
                    || saveSteps % evalSteps == 0, "load_best_model_at_end needs save_steps (" + saveSteps
                    + ") to be a multiple of eval_steps (" + evalSteps + ")");
            metricForBestModel = metricForBestModel == null ? "loss" : metricForBestModel;
        }
        reportTo = reportTo == null ? List.of("none") : List.copyOf(reportTo);
        for (String tracker : reportTo) {
            require(REPORT_TO.contains(tracker) || UNAVAILABLE_TRACKERS.contains(tracker), "report_to: unknown"
                    + " integration '" + tracker + "' (here: none, tensorboard or all)");
        }
        parseOptimArgs(optim, optimArgs);
    }

    /** The optimizer {@code optim} names, one name per optimizer: adamw_torch_fused is adamw_torch. */
    public String optimizer() {
        return AdamW.isNamed(optim) ? AdamW.NAME : optim;
    }

    /** Whether the progress bar is off ({@code disable_tqdm}; null shows it). */
    public boolean progressBarDisabled() {
        return disableTqdm != null && disableTqdm;
    }

    /** Whether metrics also go to TensorBoard event files ({@code report_to} tensorboard or all). */
    public boolean reportsToTensorBoard() {
        return reportTo.contains("tensorboard") || reportTo.contains("all");
    }

    /** The folder of TensorBoard event files: {@code logging_dir}, or HF's {@code output_dir/runs/<date>_<host>}. */
    public Path tensorBoardDirectory() {
        return loggingDir != null ? Path.of(loggingDir) : outputPath().resolve("runs").resolve(TensorBoardEvents.runName());
    }

    private static Map<String, Boolean> checkpointingKwargs(Map<String, Boolean> kwargs) {
        kwargs.forEach((key, value) -> {
            require(CHECKPOINTING_KWARGS.contains(key), "gradient_checkpointing_kwargs: unknown key '" + key
                    + "' (known: use_reentrant)");
            require(value != null, "gradient_checkpointing_kwargs: " + key + " must be true or false");
        });
        return Map.copyOf(kwargs);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new InputException(message);
        }
    }

    /** HF Trainer's defaults ({@code output_dir} "trainer_output", as transformers uses when none is given). */
    public static TrainingArguments defaults() {
        return new TrainingArguments(DEFAULT_OUTPUT_DIR, 5e-5, LearningRateSchedule.Type.LINEAR, Map.of(), 0, null,
                3.0, -1, 8, 8, 1, false, Map.of(), null, false, "random", 1.0, 0.0, 0.9, 0.999, 1e-8, AdamW.NAME, null,
                42,
                IntervalStrategy.STEPS, 500, false, IntervalStrategy.NO, false, null, IntervalStrategy.STEPS, 500, null,
                false, null, null, null, false, List.of("none"), null, true);
    }

    /**
     * The options whose defaults a TRL config changes from HF's: its {@code learning_rate}, and TRL's
     * {@code _BaseConfig} {@code logging_steps} 10 and {@code gradient_checkpointing} true (results are the same with
     * and without it; it trades a recomputed forward for memory).
     */
    public static Map<String, Object> trlDefaults(double learningRate) {
        return Map.of("learning_rate", learningRate, "logging_steps", 10, "gradient_checkpointing", true);
    }

    /** The snake_case option names, in declaration order. */
    public static Set<String> optionNames() {
        return OPTION_NAMES;
    }

    /** Reads a YAML or JSON configuration file ({@code .json}: JSON; anything else: YAML) into HF defaults. */
    public static TrainingArguments load(Path file) {
        return fromOptions(readOptions(file), file.toString(), defaults());
    }

    /**
     * The top-level mapping of a YAML or JSON configuration file, unvalidated (an algorithm's config loader takes its
     * own keys from it and passes the rest to {@link #fromOptions}). An empty file is an empty map.
     *
     * @throws InputException naming the file when it cannot be read or is not a mapping
     */
    public static Map<String, Object> readOptions(Path file) {
        ObjectMapper mapper = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json") ? OptionRecords.JSON : YAML;
        Object parsed;
        try (JsonParser parser = mapper.createParser(file.toFile())) {
            parsed = parser.nextToken() == null ? Map.of() : mapper.readValue(parser, Object.class);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new InputException(file + ": " + e.getOriginalMessage().lines().findFirst().orElse("")
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""), e);
        } catch (IOException e) {
            throw new InputException(file + ": cannot read: " + e, e);
        }
        if (!(parsed instanceof Map<?, ?> map)) {
            throw new InputException(file + ": the top level must be a mapping of option names to values");
        }
        Map<String, Object> options = new LinkedHashMap<>();
        map.forEach((k, v) -> options.put(String.valueOf(k), v));
        return options;
    }

    /**
     * {@code base} with the given options (snake_case HF names) replaced.
     *
     * @param source names where the options came from (a file, "command line") in error messages
     * @throws InputException naming {@code source} and the option for an unknown name (with the closest
     *                                  known one), a value of the wrong type, or an invalid value
     */
    public static TrainingArguments fromOptions(Map<String, ?> options, String source, TrainingArguments base) {
        return OptionRecords.merge(base, InapplicableOptions.sieve(options, OPTION_NAMES, source),
                TrainingArguments.class, source);
    }

    /** These arguments with the given options replaced (see {@link #fromOptions}). */
    public TrainingArguments withOptions(Map<String, ?> options) {
        return fromOptions(options, "options", this);
    }

    /** Every option by its snake_case name, as saved in {@code training_args.json}. */
    public Map<String, Object> toOptions() {
        return OptionRecords.toOptions(this);
    }

    /** Writes the resolved options as JSON (snake_case names) to {@code file}. */
    public void save(Path file) throws IOException {
        Files.writeString(file, OptionRecords.toJson(toOptions()));
    }

    /**
     * One line for each option given that this trainer accepts for Hugging Face compatibility but ignores (the
     * trainers print them as warnings when they start): {@code use_reentrant}, as the checkpointed blocks are always
     * recomputed on a tape of their own, which is what torch's non-reentrant checkpoint does.
     */
    public List<String> warnings() {
        List<String> warnings = new java.util.ArrayList<>();
        if (gradientCheckpointingKwargs.containsKey("use_reentrant")) {
            warnings.add("gradient_checkpointing_kwargs: use_reentrant is ignored (blocks are always recomputed on a"
                    + " tape of their own, as with use_reentrant=False)");
        }
        for (String tracker : reportTo) {
            if (UNAVAILABLE_TRACKERS.contains(tracker)) {
                warnings.add("report_to: " + tracker + " is not available here; metrics are in metrics.jsonl (and in"
                        + " TensorBoard event files with report_to tensorboard)");
            }
        }
        return warnings;
    }

    /** {@link #outputDir} as a path. */
    public Path outputPath() {
        return Path.of(outputDir);
    }

    /** HF {@code get_warmup_steps}: {@code warmup_steps} if positive, else {@code ceil(trainingSteps * warmup_ratio)}. */
    public long warmupStepsFor(long trainingSteps) {
        if (warmupSteps >= 1) {
            return (long) warmupSteps;
        }
        double ratio = warmupSteps > 0 ? warmupSteps : warmupRatio == null ? 0 : warmupRatio;
        return (long) Math.ceil(trainingSteps * ratio);
    }

    /** The learning-rate schedule over {@code trainingSteps} optimizer steps. */
    public LearningRateSchedule scheduleFor(long trainingSteps) {
        return new LearningRateSchedule(lrSchedulerType, learningRate, warmupStepsFor(trainingSteps), trainingSteps,
                lrSchedulerKwargs);
    }

    /**
     * An interval option resolved as HF resolves it: a value below 1 is a fraction of {@code maxSteps}, rounded up;
     * otherwise the number of steps (rounded up).
     */
    public static long resolveInterval(double stepsOrFraction, long maxSteps) {
        return Math.max(1, (long) Math.ceil(stepsOrFraction < 1 ? maxSteps * stepsOrFraction : stepsOrFraction));
    }

    /** Whether a larger {@code metric_for_best_model} is better ({@code greater_is_better} or HF's default). */
    public boolean greaterMetricIsBetter() {
        return greaterIsBetter != null ? greaterIsBetter : metricForBestModel != null
                && !metricForBestModel.endsWith("loss");
    }

    /**
     * The {@code optim_args} string parsed into {@code key -> value} (HF's format: {@code "momentum=0.9,nesterov=True"}).
     * Values are checked: momentum and dampening are numbers, nesterov is True or False.
     *
     * @throws InputException for an entry without '=', a key the chosen optimizer does not take, or a
     *                                  value of the wrong kind
     */
    public Map<String, String> optimizerOptions() {
        return parseOptimArgs(optim, optimArgs);
    }

    private static Map<String, String> parseOptimArgs(String optim, String text) {
        Map<String, String> options = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return options;
        }
        Set<String> known = switch (optim) {
            case Sgd.NAME -> Set.of("momentum", "dampening", "nesterov");
            case MeZo.NAME -> Set.of("zo_eps", "n_spsa");
            default -> Set.of();
        };
        for (String entry : text.split(",")) {
            int eq = entry.indexOf('=');
            require(eq > 0, "optim_args: expected key=value, got '" + entry.trim() + "'");
            String key = entry.substring(0, eq).trim();
            require(known.contains(key), "optim_args: optimizer " + optim + " takes no option '" + key + "'"
                    + (known.isEmpty() ? "" : " (known: " + String.join(", ", new TreeSet<>(known)) + ")"));
            String value = entry.substring(eq + 1).trim();
            if (key.equals("nesterov")) {
                require(value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false"),
                        "optim_args: nesterov must be True or False, got '" + value + "'");
            } else {
                try {
                    Double.parseDouble(value);
                } catch (NumberFormatException e) {
                    throw new InputException("optim_args: " + key + " must be a number, got '" + value + "'",
                            e);
                }
            }
            options.put(key, value);
        }
        return options;
    }
}
