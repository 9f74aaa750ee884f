package org.align4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.align4j.align.grpo.GrpoTrainer;
import org.align4j.align.grpo.RewardFunction;
import org.align4j.align.grpo.RewardFunctions;
import org.align4j.align.grpo.RolloutOptions;
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
import picocli.CommandLine.Option;

/**
 * What {@code align4j grpo} and {@code align4j rloo} share: the policy, the prompt-only data, the reward functions
 * ({@link RewardFunctions}), the reference, LoRA, and the options (a {@code --config} file overridden by kebab-case
 * flags named as TRL names them).
 *
 * @param <C> the algorithm's configuration
 */
abstract class OnlineTrainerCommand<C extends AlgorithmConfig> extends AlgorithmCommand<C> {
    @Option(names = "--data", required = true, paramLabel = "FILE",
            description = "Prompt-only JSONL: {prompt} (text or messages); other fields reach the reward functions.")
    Path data;

    @Option(names = "--reward-funcs", required = true, arity = "1..*", paramLabel = "FUNC",
            description = "Reward functions (TRL's reward_funcs): afinn, length, format:REGEX, exact_match:COLUMN, "
                    + "or a reward model folder (as `align4j rm` writes).")
    List<String> rewardFuncs;

    @Option(names = "--ref-model", paramLabel = "DIR", description = "Reference model when beta > 0 (default: "
            + "the LoRA base, else a frozen copy of --model).")
    Path refModel;

    /** The sampling options of {@code config}. */
    abstract RolloutOptions rollout(C config);

    /** Runs the trainer. */
    abstract GrpoTrainer.Result train(CausalLM policy, CausalLM reference, C config, List<RewardFunction> functions,
                                      List<Example> train, Tokenizer tokenizer, HfModelWriter writer)
            throws IOException;

    @Override
    public final Integer call() throws IOException {
        C resolved = resolvedConfig();
        Path outputDir = resolved.training().outputPath();
        RolloutOptions options = rollout(resolved);
        List<Example> train = JsonlDataset.read(data);
        Path tokenizerDir = tokenizerDirectory();
        ModelConfig modelConfig = HfModels.readConfig(model);
        Tokenizer processingClass = TrainerCommand.loadTokenizer(tokenizerDir, modelConfig.vocabSize());
        sizeRun(modelConfig, resolved, options, lora.enabled() ? 0 : Models.parameterCount(modelConfig));
        CausalLM policy = lora.modelToTrain(model, torchDtype, saveDtype, resolved.training().seed());
        CausalLM reference = refModel != null && options.beta() != 0
                ? HfModels.loadFrozen(refModel, torchDtype.storage(refModel), null) : null;
        List<RewardFunction> functions = RewardFunctions.parse(rewardFuncs, modelConfig.vocabSize(),
                processingClass.paddingId(null), resolved.training().perDeviceTrainBatchSize());
        GrpoTrainer.Result result = train(policy, reference, resolved, functions, train, processingClass,
                HfModelWriter.of(model, tokenizerDir));
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "%s: %d steps on %d prompts, train_loss %.6f; wrote %s%n", name(),
                result.output().globalStep(), result.prompts(), result.output().trainingLoss(), outputDir);
        out.flush();
        return 0;
    }

    /**
     * Sizes the run for the out-of-memory report: micro-batches of per_device_train_batch_size completions of up to
     * the model's positions, with a frozen copy of the weights when β > 0 and no LoRA base serves as reference.
     */
    private void sizeRun(ModelConfig modelConfig, C resolved, RolloutOptions options, long trainable) {
        long rows = resolved.training().perDeviceTrainBatchSize();
        int maxLength = modelConfig.maxPositions();
        boolean referenceCopy = options.beta() != 0 && (refModel != null || !lora.enabled());
        memoryNeeded = TrainerCommand.needed(MemoryEstimate.training(modelConfig, resolved.training(), trainable,
                referenceCopy, torchDtype.storage(model).byteSize(), 1, maxLength), rows, maxLength);
    }

    @Override
    public final String memoryOptions() {
        return "--use-peft (LoRA adapters; with beta > 0 the reference is the policy with its adapters disabled), "
                + "a smaller --max-completion-length or --num-generations, "
                + TrainerCommand.TRAINING_MEMORY_OPTIONS;
    }
}
