package org.align4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.align4j.align.reward.BestOfN;
import org.align4j.align.ppo.PpoConfig;
import org.align4j.align.ppo.PpoTrainer;
import org.align4j.data.DataException;
import org.align4j.data.Example;
import org.align4j.data.JsonlDataset;
import org.align4j.data.PromptTokenization;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.model.RewardModel;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.TrainingArguments;
import org.align4j.train.OptionRecords;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code align4j ppo}: PPO against a reward model with a KL penalty to the reference, as TRL's {@code PPOTrainer}
 * runs it ({@link PpoTrainer}). Every {@code PPOConfig} / {@code TrainingArguments} option is a kebab-case flag
 * ({@code --kl-coef 0.05}) and a snake_case key of the {@code --config} file; flags override the file. The value model
 * starts as a copy of the reward model, as TRL's example script loads it. {@code --resume-from-checkpoint PATH|true}
 * ({@code resume_from_checkpoint}) continues an interrupted run exactly from a {@code checkpoint-N} folder (true: the
 * newest in {@code --output}); pass the same {@code --model} and options as the interrupted run.
 */
@Command(name = "ppo", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
        modelTransformer = PpoCommand.Flags.class,
        description = {"Train a model with PPO (TRL's PPOTrainer) on prompt-only JSONL ({\"prompt\": text or messages}).",
                "Options: TRL's PPOConfig / TrainingArguments names as flags (--kl-coef 0.05) or in --config "
                        + "(kl_coef: 0.05), plus adap_kl_ctrl / init_kl_coef / target / horizon."})
public final class PpoCommand implements Callable<Integer> {
    /** The configuration options that are flags: every option but output_dir (--output). */
    static final Set<String> FLAG_OPTIONS = ConfigFlags.flagOptions(PpoConfig.allOptionNames());

    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "The policy to train (HF folder).")
    private Path model;

    @Option(names = "--reward-model", required = true, paramLabel = "DIR",
            description = "The reward model (a *ForSequenceClassification folder, as `align4j rm` writes).")
    private Path rewardModel;

    @Option(names = "--value-model", paramLabel = "DIR",
            description = "Initial value model (default: a copy of --reward-model).")
    private Path valueModel;

    @Option(names = "--ref-model", paramLabel = "DIR",
            description = "Reference model (default: a frozen copy of --model before training).")
    private Path refModel;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Prompt-only JSONL.")
    private Path data;

    @Option(names = "--tokenizer", paramLabel = "DIR", description = "Tokenizer folder (default: --model).")
    private Path tokenizer;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON file of PPOConfig options.")
    private Path config;

    @Option(names = {"--output", "--output-dir"}, paramLabel = "DIR", description = "run folder (output_dir; default:"
            + " the config file's output_dir, else trainer_output)")
    private Path output;

    @Mixin
    private SaveDtypeOption saveDtype;

    @Mixin
    private TorchDtypeOption torchDtype;

    @Mixin
    private LoraOptions lora;

    /** Adds the configuration flags to the command. */
    public static final class Flags implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec commandSpec) {
            Map<String, Object> defaults = new LinkedHashMap<>(PpoConfig.defaults().toOptions());
            defaults.keySet().retainAll(FLAG_OPTIONS);
            ConfigFlags.add(commandSpec, defaults, ConfigFlags.booleanOptions(TrainingArguments.class,
                    PpoConfig.Options.class));
            return commandSpec;
        }
    }

    @Override
    public Integer call() throws IOException {
        PpoConfig resolved = config != null ? PpoConfig.load(config) : PpoConfig.defaults();
        Map<String, Object> flags = ConfigFlags.given(spec, FLAG_OPTIONS);
        if (output != null) {
            flags.put("output_dir", output.toString());
        }
        resolved = PpoConfig.fromOptions(flags, OptionRecords.COMMAND_LINE, resolved);
        output = resolved.training().outputPath();
        Path tokenizerDir = tokenizer != null ? tokenizer : model;
        CausalLM base = lora.enabled() ? torchDtype.loadFrozen(model) : null;
        CausalLM policy = base != null ? lora.adapt(base, model.toString(), resolved.training().seed())
                : saveDtype.load(model);
        Tokenizer processingClass = TrainerCommand.loadTokenizer(tokenizerDir, policy.config().vocabSize());
        List<Example> examples = JsonlDataset.read(data);
        int[][] prompts = PromptTokenization.tokenizeAll(processingClass, examples);
        int positions = policy.config().maxPositions();
        for (int i = 0; i < prompts.length; i++) {
            if (prompts[i].length + resolved.options().responseLength() > positions) {
                throw new DataException(examples.get(i).source() + ": the prompt's " + prompts[i].length
                        + " tokens and response_length " + resolved.options().responseLength() + " exceed the model's "
                        + positions + " positions");
            }
        }
        long seed = resolved.training().seed();
        int pad = processingClass.paddingId(null);
        RewardModel reward = RewardModel.load(rewardModel, seed).withPadTokenId(pad);
        RewardModel value = valueModel != null ? RewardModel.load(valueModel, seed).withPadTokenId(pad)
                : reward.copy();
        // without --ref-model the trainer copies the policy (float32), unless a bfloat16 reference is asked for;
        // under LoRA adapters the frozen base is the reference, its weights shared with the policy
        CausalLM reference = refModel != null ? torchDtype.loadFrozen(refModel)
                : base != null ? base
                : torchDtype.bfloat16(model) ? torchDtype.loadFrozen(model) : null;
        PpoTrainer trainer = new PpoTrainer(policy, reference, value,
                BestOfN.rewardModel(reward, resolved.options().localRolloutForwardBatchSize()), prompts, resolved,
                HfModelWriter.of(model, tokenizerDir));
        PpoTrainer.Result result = trainer.train();
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "ppo: %d updates, %d episodes on %d prompts, score %.4f, kl %.4f; wrote %s%n",
                result.updates(), result.episodes(), prompts.length, result.lastMetrics().get("objective/scores"),
                result.lastMetrics().get("objective/kl"), output);
        out.flush();
        return 0;
    }
}
