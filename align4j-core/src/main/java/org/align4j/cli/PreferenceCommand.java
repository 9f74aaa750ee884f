package org.align4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.align4j.data.Example;
import org.align4j.data.JsonlDataset;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.model.HfModels;
import org.align4j.model.ModelConfig;
import org.align4j.model.Models;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.AlgorithmConfig;
import org.align4j.train.MemoryEstimate;
import org.align4j.train.TrainOutput;
import picocli.CommandLine.Option;

/**
 * What {@code align4j cpo}, {@code align4j orpo} and {@code align4j kto} share: the model, the preference data,
 * LoRA and the options (a {@code --config} file overridden by kebab-case flags named as TRL names them).
 *
 * @param <C> the algorithm's configuration
 */
abstract class PreferenceCommand<C extends AlgorithmConfig> extends AlgorithmCommand<C> {
    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Training preference JSONL.")
    Path data;

    @Option(names = "--eval-data", paramLabel = "FILE", description = "Evaluation preference JSONL (eval_strategy).")
    Path evalData;

    /** {@code max_length} of {@code config}. */
    abstract Integer maxLength(C config);

    /**
     * What a run did.
     *
     * @param output   the trainer's summary
     * @param examples the training examples used
     * @param unit     what an example is ("pairs", "examples")
     */
    record Trained(TrainOutput output, int examples, String unit) {
    }

    /** Runs the trainer. */
    abstract Trained train(CausalLM policy, C config, List<Example> train, List<Example> eval, Tokenizer tokenizer,
                           HfModelWriter writer) throws IOException;

    /** Whether the run keeps a frozen copy of the weights as its reference (sizes the out-of-memory report). */
    boolean keepsReferenceCopy() {
        return false;
    }

    @Override
    public final Integer call() throws IOException {
        C resolved = resolvedConfig();
        Path outputDir = resolved.training().outputPath();
        List<Example> train = JsonlDataset.read(data);
        List<Example> eval = evalData == null ? List.of() : JsonlDataset.read(evalData);
        Path tokenizerDir = tokenizerDirectory();
        ModelConfig modelConfig = HfModels.readConfig(model);
        Tokenizer processingClass = tokenizer != null || Files.isRegularFile(model.resolve(Tokenizer.TOKENIZER_FILE))
                ? TrainerCommand.loadTokenizer(tokenizerDir, modelConfig.vocabSize()) : null;
        int maxLength = maxLength(resolved) != null ? maxLength(resolved) : modelConfig.maxPositions();
        long trainable = lora.enabled() ? 0 : Models.parameterCount(modelConfig);
        sizeRun(modelConfig, resolved, trainable, maxLength);
        CausalLM policy = lora.modelToTrain(model, torchDtype, saveDtype, resolved.training().seed());
        if (lora.enabled()) {
            sizeRun(modelConfig, resolved, TrainerCommand.trainableCount(policy.parameters()), maxLength);
        }
        Trained result = train(policy, resolved, train, eval, processingClass,
                HfModelWriter.of(model, processingClass == null ? null : tokenizerDir));
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "%s: %d steps on %d %s, train_loss %.6f; wrote %s%n", name(),
                result.output().globalStep(), result.examples(), result.unit(), result.output().trainingLoss(),
                outputDir);
        out.flush();
        return 0;
    }

    /** Sizes the run for the out-of-memory report: two rows per example (chosen and rejected, or KTO's mismatched). */
    private void sizeRun(ModelConfig modelConfig, C resolved, long trainable, int maxLength) {
        long rows = 2L * resolved.training().perDeviceTrainBatchSize();
        memoryNeeded = TrainerCommand.needed(MemoryEstimate.training(modelConfig, resolved.training(), trainable,
                keepsReferenceCopy(), torchDtype.storage(model).byteSize(), 2, maxLength), rows, maxLength);
    }

    @Override
    public final String memoryOptions() {
        return "--use-peft (LoRA adapters: gradients and optimizer state for the adapters only; a reference is the "
                + "policy with its adapters disabled), " + TrainerCommand.TRAINING_MEMORY_OPTIONS;
    }
}
