package org.align4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.align4j.align.cpo.CpoTrainer;
import org.align4j.align.cpo.OrpoConfig;
import org.align4j.align.cpo.OrpoTrainer;
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
 * {@code align4j orpo}: ORPO as TRL's {@code ORPOTrainer} runs it ({@link OrpoTrainer}); every
 * {@code ORPOConfig} option as a flag named after it ({@code --beta 0.1}) or in
 * a {@code --config} file.
 */
@Command(name = "orpo", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
        modelTransformer = OrpoCommand.Flags.class,
        description = {"Train a model with ORPO (TRL's ORPOTrainer) on a preference JSONL file; no reference.",
                "Data: as dpo's ({prompt, chosen, rejected}, or their *_ids).",
                "Options: TRL's ORPOConfig / TrainingArguments names as flags (--beta 0.1) or in --config."})
public final class OrpoCommand extends PreferenceCommand<OrpoConfig> {
    /** The configuration options that are flags: every option but output_dir (--output). */
    static final Set<String> FLAG_OPTIONS = ConfigFlags.flagOptions(OrpoConfig.allOptionNames());

    /** Adds the configuration flags to the command. */
    public static final class Flags implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec commandSpec) {
            Map<String, Object> defaults = new LinkedHashMap<>(OrpoConfig.defaults().toOptions());
            defaults.keySet().retainAll(FLAG_OPTIONS);
            ConfigFlags.add(commandSpec, defaults, ConfigFlags.booleanOptions(TrainingArguments.class,
                    OrpoConfig.Options.class));
            return commandSpec;
        }
    }

    @Override
    String name() {
        return "orpo";
    }

    @Override
    OrpoConfig load(Path configFile) {
        return configFile != null ? OrpoConfig.load(configFile) : OrpoConfig.defaults();
    }

    @Override
    OrpoConfig withOptions(OrpoConfig base, Map<String, Object> options) {
        return OrpoConfig.fromOptions(options, OptionRecords.COMMAND_LINE, base);
    }

    @Override
    Set<String> flagOptions() {
        return FLAG_OPTIONS;
    }

    @Override
    Integer maxLength(OrpoConfig config) {
        return config.options().maxLength();
    }

    @Override
    Trained train(CausalLM policy, OrpoConfig config, List<Example> train, List<Example> eval, Tokenizer tokenizer,
                  HfModelWriter writer) throws IOException {
        CpoTrainer.Result result = new OrpoTrainer(policy, config, train, eval, tokenizer, writer).train();
        return new Trained(result.output(), result.trainPairs(), "pairs");
    }
}
