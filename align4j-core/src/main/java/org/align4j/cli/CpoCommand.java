package org.align4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.align4j.align.cpo.CpoConfig;
import org.align4j.align.cpo.CpoTrainer;
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
 * {@code align4j cpo}: CPO and SimPO as TRL's {@code CPOTrainer} runs them ({@link CpoTrainer}); every
 * {@code CPOConfig} option as a flag named after it ({@code --loss-type simpo --simpo-gamma 0.5 --cpo-alpha 0}) or in
 * a {@code --config} file.
 */
@Command(name = "cpo", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
        modelTransformer = CpoCommand.Flags.class,
        description = {"Train a model with CPO or SimPO (TRL's CPOTrainer) on a preference JSONL file; no reference.",
                "Data: as dpo's ({prompt, chosen, rejected}, or their *_ids).",
                "Options: TRL's CPOConfig / TrainingArguments names as flags (--loss-type simpo) or in --config."})
public final class CpoCommand extends PreferenceCommand<CpoConfig> {
    /** The configuration options that are flags: every option but output_dir (--output). */
    static final Set<String> FLAG_OPTIONS = ConfigFlags.flagOptions(CpoConfig.allOptionNames());

    /** Adds the configuration flags to the command. */
    public static final class Flags implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec commandSpec) {
            Map<String, Object> defaults = new LinkedHashMap<>(CpoConfig.defaults().toOptions());
            defaults.keySet().retainAll(FLAG_OPTIONS);
            ConfigFlags.add(commandSpec, defaults, ConfigFlags.booleanOptions(TrainingArguments.class,
                    CpoConfig.Options.class));
            return commandSpec;
        }
    }

    @Override
    String name() {
        return "cpo";
    }

    @Override
    CpoConfig load(Path configFile) {
        return configFile != null ? CpoConfig.load(configFile) : CpoConfig.defaults();
    }

    @Override
    CpoConfig withOptions(CpoConfig base, Map<String, Object> options) {
        return CpoConfig.fromOptions(options, OptionRecords.COMMAND_LINE, base);
    }

    @Override
    Set<String> flagOptions() {
        return FLAG_OPTIONS;
    }

    @Override
    Integer maxLength(CpoConfig config) {
        return config.options().maxLength();
    }

    @Override
    Trained train(CausalLM policy, CpoConfig config, List<Example> train, List<Example> eval, Tokenizer tokenizer,
                  HfModelWriter writer) throws IOException {
        CpoTrainer.Result result = new CpoTrainer(policy, config, train, eval, tokenizer, writer).train();
        return new Trained(result.output(), result.trainPairs(), "pairs");
    }
}
