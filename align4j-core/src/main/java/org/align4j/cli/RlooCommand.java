package org.align4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.align4j.align.grpo.GrpoTrainer;
import org.align4j.align.grpo.RewardFunction;
import org.align4j.align.grpo.RlooConfig;
import org.align4j.align.grpo.RlooTrainer;
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
 * {@code align4j rloo}: REINFORCE Leave-One-Out as TRL's {@code RLOOTrainer} runs it
 * ({@link RlooTrainer}). Every option of TRL's {@code RLOOConfig} that the trainer implements is a flag named after
 * it ({@code --num-generations}, {@code --beta}...), and the same snake_case names work in a
 * {@code --config} file; flags override the file.
 */
@Command(name = "rloo", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
        modelTransformer = RlooCommand.Flags.class,
        description = {"Train a model with RLOO (TRL's RLOOTrainer) on prompts, rated by reward functions.",
                "Data: {prompt} (a string or a message list); other fields reach the reward functions.",
                "Options: TRL's RLOOConfig / TrainingArguments names as flags (--num-generations 4) or in --config."})
public final class RlooCommand extends OnlineTrainerCommand<RlooConfig> {
    /** The configuration options that are flags: every option but output_dir (--output). */
    static final Set<String> FLAG_OPTIONS = ConfigFlags.flagOptions(RlooConfig.allOptionNames());

    /** Adds the configuration flags to the command. */
    public static final class Flags implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec commandSpec) {
            Map<String, Object> defaults = new LinkedHashMap<>(RlooConfig.defaults().toOptions());
            defaults.keySet().retainAll(FLAG_OPTIONS);
            ConfigFlags.add(commandSpec, defaults, ConfigFlags.booleanOptions(TrainingArguments.class,
                    RlooConfig.Options.class));
            return commandSpec;
        }
    }

    @Override
    String name() {
        return "rloo";
    }

    @Override
    RlooConfig load(Path configFile) {
        return configFile != null ? RlooConfig.load(configFile) : RlooConfig.defaults();
    }

    @Override
    RlooConfig withOptions(RlooConfig base, Map<String, Object> options) {
        return RlooConfig.fromOptions(options, OptionRecords.COMMAND_LINE, base);
    }

    @Override
    RolloutOptions rollout(RlooConfig config) {
        return config.options();
    }

    @Override
    Set<String> flagOptions() {
        return FLAG_OPTIONS;
    }

    @Override
    GrpoTrainer.Result train(CausalLM policy, CausalLM reference, RlooConfig config, List<RewardFunction> functions,
                             List<Example> train, Tokenizer tokenizer, HfModelWriter writer) throws IOException {
        return new RlooTrainer(policy, reference, config, functions, train, tokenizer, writer).train();
    }
}
