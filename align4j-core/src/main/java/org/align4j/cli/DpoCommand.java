package org.align4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.align4j.align.dpo.DpoConfig;
import org.align4j.align.dpo.DpoLossConfig;
import org.align4j.align.dpo.DpoTask;
import org.align4j.align.dpo.DpoTrainer;
import org.align4j.data.Example;
import org.align4j.data.JsonlDataset;
import org.align4j.data.PreferencePair;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.model.HfModels;
import org.align4j.model.ModelConfig;
import org.align4j.model.Models;
import org.align4j.model.io.Dtype;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.MemoryEstimate;
import org.align4j.train.TrainingArguments;
import org.align4j.train.TrainingTask;
import org.align4j.train.OptionRecords;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code align4j dpo}: Direct Preference Optimization as TRL's {@code DPOTrainer} runs it ({@link DpoTrainer}). Every
 * option of TRL's {@code DPOConfig} that this trainer implements is a flag named after it
 * ({@code --learning-rate}, {@code --beta}, {@code --loss-type sigmoid,sft}...), and the same snake_case names work in a
 * {@code --config} file; flags override the file. A subclass may train the DPO task another way ({@link #taskToTrain}):
 * align4j-spark's {@code dpo} is this command with each batch's gradient computed on a Spark cluster.
 */
@Command(name = "dpo", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
        modelTransformer = DpoCommand.Flags.class,
        description = {"Train a model with DPO (TRL's DPOTrainer) on a preference JSONL file.",
                "Data: {prompt, chosen, rejected} (strings or message lists), {chosen, rejected} (implicit prompt) or "
                        + "{prompt_ids, chosen_ids, rejected_ids}.",
                "Options: TRL's DPOConfig / TrainingArguments names as flags (--beta 0.1) or in --config (beta: 0.1)."})
public class DpoCommand implements Callable<Integer>, MemorySized {
    /** The configuration options that are flags: every option but output_dir (--output). */
    static final Set<String> FLAG_OPTIONS = ConfigFlags.flagOptions(DpoConfig.allOptionNames());

    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "The model to train (HF folder).")
    private Path model;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Training preference JSONL.")
    private Path data;

    @Option(names = "--eval-data", paramLabel = "FILE", description = "Evaluation preference JSONL (eval_strategy).")
    private Path evalData;

    @Option(names = "--ref-model", paramLabel = "DIR",
            description = "Reference model (default: a frozen copy of --model before training).")
    private Path refModel;

    @Option(names = "--tokenizer", paramLabel = "DIR",
            description = "Tokenizer folder (default: --model; not needed for pre-tokenized data).")
    private Path tokenizer;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON file of DPOConfig options.")
    private Path config;

    @Option(names = {"--output", "--output-dir"}, paramLabel = "DIR", description = "run folder (output_dir; default:"
            + " the config file's output_dir, else trainer_output)")
    private Path output;

    @Mixin
    private LoraOptions lora;

    private String memoryNeeded;

    @Mixin
    private SaveDtypeOption saveDtype;

    @Mixin
    private TorchDtypeOption torchDtype;

    /** --torch-dtype resolved for --model: how the reference and a LoRA base are stored. */
    private Dtype frozenStorage;

    /** Adds the configuration flags to the command. */
    public static final class Flags implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec commandSpec) {
            Map<String, Object> defaults = new LinkedHashMap<>(DpoConfig.defaults().toOptions());
            defaults.keySet().retainAll(FLAG_OPTIONS);
            ConfigFlags.add(commandSpec, defaults, ConfigFlags.booleanOptions(TrainingArguments.class,
                    DpoLossConfig.class, DpoConfig.Options.class));
            return commandSpec;
        }
    }

    @Override
    public Integer call() throws IOException {
        DpoConfig resolved = config != null ? DpoConfig.load(config) : DpoConfig.defaults();
        Map<String, Object> flags = ConfigFlags.given(spec, FLAG_OPTIONS);
        if (output != null) {
            flags.put("output_dir", output.toString());
        }
        resolved = DpoConfig.fromOptions(flags, OptionRecords.COMMAND_LINE, resolved);
        output = resolved.training().outputPath();
        List<Example> train = JsonlDataset.read(data);
        List<Example> eval = evalData == null ? List.of() : JsonlDataset.read(evalData);
        Path tokenizerDir = tokenizer != null ? tokenizer : model;
        Tokenizer processingClass = tokenizer != null || Files.isRegularFile(model.resolve(Tokenizer.TOKENIZER_FILE))
                ? Tokenizer.load(tokenizerDir) : null;
        ModelConfig modelConfig = HfModels.readConfig(model);
        frozenStorage = torchDtype.storage(model);
        sizeRun(modelConfig, resolved, lora.enabled() ? 0 : Models.parameterCount(modelConfig));
        CausalLM policy = lora.modelToTrain(model, torchDtype, saveDtype, resolved.training().seed());
        if (lora.enabled()) {
            sizeRun(modelConfig, resolved, TrainerCommand.trainableCount(policy.parameters()));
        }
        // without --ref-model the trainer copies the policy (float32), unless a bfloat16 reference is asked for
        CausalLM reference = refModel != null ? HfModels.loadFrozen(refModel, frozenStorage, null)
                : !lora.enabled() && frozenStorage == Dtype.BF16 ? HfModels.loadFrozen(model, frozenStorage, null)
                : null;
        DpoTrainer trainer = new DpoTrainer(policy, reference, resolved, train, eval, processingClass,
                HfModelWriter.of(model, processingClass == null ? null : tokenizerDir)).wrapTask(this::taskToTrain);
        DpoTrainer.Result result = trainer.train();
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "dpo: %d steps on %d pairs, train_loss %.6f; wrote %s%n", result.output().globalStep(),
                result.trainPairs(), result.output().trainingLoss(), output);
        out.flush();
        return 0;
    }

    /**
     * The task the run trains, given the DPO task {@link DpoTrainer} built (policy, reference and loss as the options
     * say): that task itself here.
     */
    protected TrainingTask<PreferencePair> taskToTrain(DpoTask task) {
        return task;
    }

    /** The folder of the model to train ({@code --model}). */
    protected final Path modelDirectory() {
        return model;
    }

    /**
     * The dtype the frozen weights (a LoRA base, the reference) are stored in: {@code --torch-dtype} resolved for
     * {@code --model}; known once {@link #call} has read the model's config.
     */
    protected final Dtype frozenStorage() {
        return frozenStorage;
    }

    /**
     * Sizes the run for the out-of-memory report: {@code trainable} parameters trained on micro-batches of the
     * chosen and rejected rows of per_device_train_batch_size pairs, with a frozen copy of the weights unless the
     * reference is the adapter-disabled policy or its log-probs are precomputed (the reference is then released).
     */
    private void sizeRun(ModelConfig config, DpoConfig resolved, long trainable) {
        long rows = 2L * resolved.training().perDeviceTrainBatchSize();
        int maxLength = resolved.options().maxLength() != null ? resolved.options().maxLength() : config.maxPositions();
        boolean referenceCopy = !resolved.options().precomputeRefLogProbs() && (refModel != null || !lora.enabled());
        int frozenBytes = frozenStorage.byteSize();
        memoryNeeded = TrainerCommand.needed(MemoryEstimate.training(config, resolved.training(), trainable,
                referenceCopy, frozenBytes, 2, maxLength), rows, maxLength);
    }

    @Override
    public String memoryNeeded() {
        return memoryNeeded;
    }

    @Override
    public String memoryOptions() {
        return "--use-peft (LoRA adapters: gradients and optimizer state for the adapters only, and the reference is"
                + " the policy with its adapters disabled), --torch-dtype bfloat16 (the reference and a LoRA base in"
                + " half the memory), --precompute-ref-log-probs (the reference model is released before training), "
                + TrainerCommand.TRAINING_MEMORY_OPTIONS;
    }
}
