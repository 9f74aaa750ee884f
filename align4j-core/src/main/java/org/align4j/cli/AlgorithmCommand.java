package org.align4j.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.align4j.train.AlgorithmConfig;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What the commands of the newer trainers share (grpo, rloo, cpo, orpo, kto): the model, the tokenizer, LoRA and the
 * storage dtypes, the run folder, and the options: the algorithm's TRL config record read from a {@code --config}
 * file, overridden by kebab-case flags named as TRL names them.
 *
 * @param <C> the algorithm's configuration
 */
abstract class AlgorithmCommand<C extends AlgorithmConfig> implements Callable<Integer>, MemorySized {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "The model to train (HF folder).")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "DIR",
            description = "Tokenizer folder (default: --model; not needed for pre-tokenized preference data).")
    Path tokenizer;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON file of the trainer's options.")
    Path config;

    @Option(names = {"--output", "--output-dir"}, paramLabel = "DIR", description = "run folder (output_dir; default:"
            + " the config file's output_dir, else trainer_output)")
    Path output;

    @Mixin
    LoraOptions lora;

    @Mixin
    SaveDtypeOption saveDtype;

    @Mixin
    TorchDtypeOption torchDtype;

    /** The out-of-memory report's estimate, set by the command once it is sized. */
    String memoryNeeded;

    /** The algorithm's name, as the command is called. */
    abstract String name();

    /** The configuration file's options over the algorithm's defaults, or the defaults. */
    abstract C load(Path configFile);

    /** {@code base} with {@code options} (from the command line) replaced. */
    abstract C withOptions(C base, Map<String, Object> options);

    /** The option names that are flags. */
    abstract Set<String> flagOptions();

    /** The configuration: {@code --config} (else the defaults), then the flags, then {@code --output}. */
    final C resolvedConfig() {
        Map<String, Object> flags = ConfigFlags.given(spec, flagOptions());
        if (output != null) {
            flags.put("output_dir", output.toString());
        }
        return withOptions(load(config), flags);
    }

    /** The tokenizer folder: {@code --tokenizer}, else the model folder. */
    final Path tokenizerDirectory() {
        return tokenizer != null ? tokenizer : model;
    }

    @Override
    public final String memoryNeeded() {
        return memoryNeeded;
    }
}
