package org.align4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.align4j.align.kto.KtoConfig;
import org.align4j.align.kto.KtoTrainer;
import org.align4j.data.Example;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.model.HfModels;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.OptionRecords;
import org.align4j.train.TrainingArguments;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code align4j kto}: KTO as TRL's {@code KTOTrainer} runs it ({@link KtoTrainer}); every {@code KTOConfig} option
 * as a flag named after it ({@code --desirable-weight 1.33}) or in a {@code --config} file.
 */
@Command(name = "kto", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
        modelTransformer = KtoCommand.Flags.class,
        description = {"Train a model with KTO (TRL's KTOTrainer) on unpaired or paired preference data.",
                "Data: {prompt, completion, label} (label true or false), or DPO's pairs (unpaired first).",
                "Options: TRL's KTOConfig / TrainingArguments names as flags (--beta 0.1) or in --config."})
public final class KtoCommand extends PreferenceCommand<KtoConfig> {
    /** The configuration options that are flags: every option but output_dir (--output). */
    static final Set<String> FLAG_OPTIONS = ConfigFlags.flagOptions(KtoConfig.allOptionNames());

    @Option(names = "--ref-model", paramLabel = "DIR",
            description = "Reference model (default: the LoRA base, else a frozen copy of --model before training).")
    private Path refModel;

    /** Adds the configuration flags to the command. */
    public static final class Flags implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec commandSpec) {
            Map<String, Object> defaults = new LinkedHashMap<>(KtoConfig.defaults().toOptions());
            defaults.keySet().retainAll(FLAG_OPTIONS);
            ConfigFlags.add(commandSpec, defaults, ConfigFlags.booleanOptions(TrainingArguments.class,
                    KtoConfig.Options.class));
            return commandSpec;
        }
    }

    @Override
    String name() {
        return "kto";
    }

    @Override
    KtoConfig load(Path configFile) {
        return configFile != null ? KtoConfig.load(configFile) : KtoConfig.defaults();
    }

    @Override
    KtoConfig withOptions(KtoConfig base, Map<String, Object> options) {
        return KtoConfig.fromOptions(options, OptionRecords.COMMAND_LINE, base);
    }

    @Override
    Set<String> flagOptions() {
        return FLAG_OPTIONS;
    }

    @Override
    Integer maxLength(KtoConfig config) {
        return config.options().maxLength();
    }

    @Override
    boolean keepsReferenceCopy() {
        return refModel != null || !lora.enabled();
    }

    @Override
    Trained train(CausalLM policy, KtoConfig config, List<Example> train, List<Example> eval, Tokenizer tokenizer,
                  HfModelWriter writer) throws IOException {
        CausalLM reference = refModel == null ? null
                : HfModels.loadFrozen(refModel, torchDtype.storage(refModel), null);
        KtoTrainer.Result result = new KtoTrainer(policy, reference, config, train, eval, tokenizer, writer).train();
        return new Trained(result.output(), result.examples(), "examples");
    }
}
