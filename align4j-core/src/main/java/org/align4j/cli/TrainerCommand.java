package org.align4j.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModels;
import org.align4j.model.ModelConfig;
import org.align4j.model.ModelException;
import org.align4j.model.Models;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.MemoryEstimate;
import org.align4j.train.TrainingArguments;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * What every trainer command (sft, crlft, rm, dpo...) takes: the model, the training and evaluation data, the
 * tokenizer, the run folder, and the options (a {@code --config} file overridden by kebab-case flags, named as TRL
 * names them). A subclass takes its algorithm's options out and hands the rest to {@link TrainingArguments}.
 */
abstract class TrainerCommand implements Callable<Integer>, MemorySized {
    /** The trainer options that reduce a run's memory, as the out-of-memory report lists them. */
    static final String TRAINING_MEMORY_OPTIONS = "--gradient-checkpointing (each block's activations recomputed in"
            + " the backward pass), a smaller --per-device-train-batch-size (with a larger"
            + " --gradient-accumulation-steps to keep the effective batch), a smaller --max-length, or --optim mezo"
            + " (no gradients, optimizer state or kept activations)";

    @Option(names = "--model", required = true, description = "model directory (Hugging Face layout)")
    Path model;
    @Option(names = "--data", required = true, description = "training JSONL")
    Path data;
    @Option(names = "--eval-data", description = "evaluation JSONL")
    Path evalData;
    @Option(names = "--tokenizer", description = "tokenizer directory (default: the model directory)")
    Path tokenizerDir;
    @Option(names = {"--output", "--output-dir"}, paramLabel = "DIR", description = "run folder (output_dir; default:"
            + " the config file's output_dir, else trainer_output)")
    Path output;
    @Mixin
    TrainingOptions training;
    @Mixin
    SaveDtypeOption saveDtype;

    private Map<String, Object> options;
    private String memoryNeeded;

    /** The trainer defaults the algorithm's TRL config sets ({@link TrainingArguments#trlDefaults}). */
    abstract Map<String, Object> trlDefaults();

    /** The algorithm's own option record, with its defaults (for the flags' types). */
    abstract Record algorithmDefaults();

    /**
     * Every option this command takes as a flag, with its default: HF's training arguments over
     * {@link #trlDefaults}, then the algorithm's own ({@link ConfigFlags#trainerDefaults}); the {@link Flags}
     * transformer declares them.
     */
    Map<String, Object> optionDefaults() {
        return ConfigFlags.trainerDefaults(trlDefaults(), algorithmDefaults());
    }

    /** Declares a trainer command's options ({@link #optionDefaults}) as flags. */
    public static final class Flags implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            TrainerCommand command = (TrainerCommand) spec.userObject();
            ConfigFlags.addTrainer(spec, command.optionDefaults(), command.algorithmDefaults());
            return spec;
        }
    }

    /** All options given (file, then flags), by snake_case name; what the algorithm takes is removed from it. */
    final Map<String, Object> options() {
        if (options == null) {
            options = training.given(optionDefaults().keySet());
        }
        return options;
    }

    /** Removes and returns the algorithm's own options. */
    final Map<String, Object> takeOptions(Set<String> names) {
        return TrainingOptions.take(options(), names);
    }

    /** The trainer options left after the algorithm's, over {@link #trlDefaults}. */
    final TrainingArguments trainingArguments() {
        TrainingArguments args = training.trainingArguments(options(),
                TrainingArguments.defaults().withOptions(trlDefaults()), output);
        output = args.outputPath();
        return args;
    }

    @Override
    public String memoryNeeded() {
        return memoryNeeded;
    }

    @Override
    public String memoryOptions() {
        return TRAINING_MEMORY_OPTIONS;
    }

    /**
     * Sizes the run for the out-of-memory report: every parameter of {@code config}'s model trained as {@code args}
     * say on micro-batches of {@code sequencesPerExample} x per_device_train_batch_size rows of up
     * to {@code maxLength} tokens.
     */
    final void sizeRun(ModelConfig config, TrainingArguments args, int sequencesPerExample, int maxLength) {
        sizeRun(config, args, Models.parameterCount(config), sequencesPerExample, maxLength);
    }

    /** {@link #sizeRun(ModelConfig, TrainingArguments, int, int)} with {@code trainable} parameters trained. */
    final void sizeRun(ModelConfig config, TrainingArguments args, long trainable, int sequencesPerExample,
                       int maxLength) {
        memoryNeeded = needed(MemoryEstimate.training(config, args, trainable, false, 4, sequencesPerExample,
                maxLength), (long) sequencesPerExample * args.perDeviceTrainBatchSize(), maxLength);
    }

    /**
     * The causal LM to train, sized for the out-of-memory report: every weight (saved in {@code --save-dtype}), or
     * under {@code --use-peft} new LoRA adapters on a frozen base stored as {@code --torch-dtype} says.
     */
    final CausalLM causalLmToTrain(LoraOptions lora, TorchDtypeOption torchDtype, TrainingArguments args,
                                   int maxLength) {
        ModelConfig config = HfModels.readConfig(model);
        sizeRun(config, args, lora.enabled() ? 0 : Models.parameterCount(config), 1, maxLength);
        CausalLM lm = lora.modelToTrain(model, torchDtype, saveDtype, args.seed());
        if (lora.enabled()) {
            sizeRun(config, args, trainableCount(lm.parameters()), 1, maxLength);
        }
        return lm;
    }

    /** The number of values in {@code parameters}: what an optimizer over them trains. */
    static long trainableCount(Map<String, Var> parameters) {
        return parameters.values().stream().mapToLong(v -> v.value().size()).sum();
    }

    /** What {@code estimate} says a run of micro-batches of {@code rows} x {@code maxLength} tokens needs. */
    static String needed(MemoryEstimate estimate, long rows, long maxLength) {
        return estimate.describe() + " for micro-batches of " + rows + " sequences of up to " + maxLength + " tokens";
    }

    /** The tokenizer directory: {@code --tokenizer}, else the model directory. */
    final Path tokenizerDirectory() {
        return tokenizerDir != null ? tokenizerDir : model;
    }

    /** The tokenizer, checked to produce only ids below {@code vocabSize} (the model's embedding rows). */
    final Tokenizer tokenizer(int vocabSize) {
        return loadTokenizer(tokenizerDirectory(), vocabSize);
    }

    /** The tokenizer in {@code dir}; fails when it can produce ids the model (of {@code vocabSize}) cannot embed. */
    static Tokenizer loadTokenizer(Path dir, int vocabSize) {
        Tokenizer tokenizer = Tokenizer.load(dir);
        if (tokenizer.vocabSize() > vocabSize) {
            throw new ModelException(dir + ": tokenizer has " + tokenizer.vocabSize()
                    + " tokens, more than the model's vocab_size " + vocabSize);
        }
        return tokenizer;
    }
}
