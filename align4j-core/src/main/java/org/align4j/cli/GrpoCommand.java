package org.align4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.align4j.align.grpo.GrpoConfig;
import org.align4j.align.grpo.GrpoTrainer;
import org.align4j.align.grpo.RewardFunction;
import org.align4j.align.grpo.RolloutOptions;
import org.align4j.data.Example;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.OptionRecords;
import org.align4j.train.TrainingArguments;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code align4j grpo}: Group Relative Policy Optimization as TRL's {@code GRPOTrainer} runs it
 * ({@link GrpoTrainer}). Every option of TRL's {@code GRPOConfig} that the trainer implements is a flag named after
 * it ({@code --num-generations}, {@code --loss-type dr_grpo}...), and the same snake_case names work in a
 * {@code --config} file; flags override the file.
 */
@Command(name = "grpo", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
        modelTransformer = GrpoCommand.Flags.class,
        description = {"Train a model with GRPO (TRL's GRPOTrainer) on prompts, rated by reward functions.",
                "Data: {prompt} (a string or a message list); other fields reach the reward functions.",
                "Options: TRL's GRPOConfig / TrainingArguments names as flags (--num-generations 8) or in --config."})
public final class GrpoCommand extends OnlineTrainerCommand<GrpoConfig> {
    /** The configuration options that are flags: every option but output_dir (--output). */
    static final Set<String> FLAG_OPTIONS = ConfigFlags.flagOptions(GrpoConfig.allOptionNames());

    /** Adds the configuration flags to the command. */
    public static final class Flags implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec commandSpec) {
            Map<String, Object> defaults = new LinkedHashMap<>(GrpoConfig.defaults().toOptions());
            defaults.keySet().retainAll(FLAG_OPTIONS);
            ConfigFlags.add(commandSpec, defaults, ConfigFlags.booleanOptions(TrainingArguments.class,
                    GrpoConfig.Options.class));
            return commandSpec;
        }
    }

    @Override
    String name() {
        return "grpo";
    }

    @Override
    GrpoConfig load(Path configFile) {
        return configFile != null ? GrpoConfig.load(configFile) : GrpoConfig.defaults();
    }

    @Override
    GrpoConfig withOptions(GrpoConfig base, Map<String, Object> options) {
        return GrpoConfig.fromOptions(options, OptionRecords.COMMAND_LINE, base);
    }

    @Override
    RolloutOptions rollout(GrpoConfig config) {
        return config.options();
    }

    @Override
    Set<String> flagOptions() {
        return FLAG_OPTIONS;
    }

    @Override
    GrpoTrainer.Result train(CausalLM policy, CausalLM reference, GrpoConfig config, List<RewardFunction> functions,
                             List<Example> train, Tokenizer tokenizer, HfModelWriter writer) throws IOException {
        return new GrpoTrainer(policy, reference, config, functions, train, tokenizer, writer).train();
    }
}
