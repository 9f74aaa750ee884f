package org.align4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.align4j.train.TrainingArguments;
import org.align4j.train.OptionRecords;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The option handling every trainer command shares: {@code --config FILE} (YAML or JSON, TRL's snake_case names),
 * then the flags ({@link ConfigFlags}: one per option, {@code --kebab-case-name value}) given on the command line,
 * which override the file. The command takes its algorithm's own options out and passes the rest to
 * {@link TrainingArguments}; a name that is neither is an error naming the closest known one.
 */
final class TrainingOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON file of options (TRL's snake_case"
            + " names); flags override it")
    Path config;

    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    /** The options of the file, overridden by the flags given among {@code flagNames}, by snake_case name. */
    Map<String, Object> given(Set<String> flagNames) {
        Map<String, Object> options = new LinkedHashMap<>();
        if (config != null) {
            options.putAll(TrainingArguments.readOptions(config));
        }
        options.putAll(ConfigFlags.given(spec, flagNames));
        return options;
    }

    /**
     * Splits {@code options} into the algorithm's own (removed from {@code options} and returned) and the rest.
     */
    static Map<String, Object> take(Map<String, Object> options, Set<String> names) {
        Map<String, Object> taken = new LinkedHashMap<>();
        for (String name : names) {
            if (options.containsKey(name)) {
                taken.put(name, options.remove(name));
            }
        }
        return taken;
    }

    /** Where the options came from, for error messages. */
    String source() {
        return config != null ? config + " and the command line" : OptionRecords.COMMAND_LINE;
    }

    /**
     * The training arguments: {@code defaults} (the algorithm's, e.g. TRL's learning rate) with the options set and
     * {@code output_dir} from {@code output} (null: the config file's, else the default).
     */
    TrainingArguments trainingArguments(Map<String, Object> options, TrainingArguments defaults, Path output) {
        Map<String, Object> all = new LinkedHashMap<>(options);
        if (output != null) {
            all.put("output_dir", output.toString());
        }
        return TrainingArguments.fromOptions(all, source(), defaults);
    }
}
