package org.align4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.align4j.InputException;
import org.align4j.train.TrainingArguments;
import picocli.CommandLine.Option;

/**
 * The option handling every trainer command shares: {@code --config FILE} (YAML or JSON, TRL's snake_case names),
 * then any {@code --kebab-case-name value} flag (or bare {@code --flag} for true) naming the same option, which
 * overrides the file. The command takes its algorithm's own options out and passes the rest to
 * {@link TrainingArguments}.
 */
final class TrainingOptions {
    @Option(names = "--config", description = "YAML or JSON file of options (TRL's snake_case names)")
    Path config;

    /**
     * The options of the file, overridden by {@code flags} (the command's unmatched arguments, which picocli only
     * collects in the command class itself), by snake_case name.
     */
    Map<String, Object> merged(List<String> flags) {
        Map<String, Object> options = new LinkedHashMap<>();
        if (config != null) {
            options.putAll(TrainingArguments.readOptions(config));
        }
        for (int i = 0; i < flags.size(); i++) {
            String flag = flags.get(i);
            if (!flag.startsWith("--") || flag.length() == 2) {
                throw new InputException("unexpected argument '" + flag + "' (options look like --name value)");
            }
            String name = flag.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (i + 1 < flags.size() && !flags.get(i + 1).startsWith("--")) {
                value = flags.get(++i);
            } else {
                value = "true";
            }
            options.put(name.replace('-', '_'), value);
        }
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

    /** The training arguments: {@code defaults} (the algorithm's, e.g. TRL's learning rate) with the options set. */
    TrainingArguments trainingArguments(Map<String, Object> options, TrainingArguments defaults, Path output) {
        Map<String, Object> all = new LinkedHashMap<>(options);
        all.put("output_dir", output.toString());
        return TrainingArguments.fromOptions(all, config != null ? config + " and the command line" : "command line",
                defaults);
    }
}
