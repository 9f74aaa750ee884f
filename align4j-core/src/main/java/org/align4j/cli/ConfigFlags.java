package org.align4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.align4j.InputException;
import org.align4j.train.InapplicableOptions;
import org.align4j.train.OptionRecords;
import org.align4j.train.TrainingArguments;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * Command-line flags for the snake_case options of a training configuration: option {@code per_device_train_batch_size}
 * is the flag {@code --per-device-train-batch-size VALUE}; a boolean option also works as a bare flag
 * ({@code --use-weighting} means true). Values stay text and are converted by the configuration's loader, like the
 * values of a YAML file; {@code none} or {@code null} gives null (e.g. {@code --max-length none}) and a value starting
 * with '[' or '{' is read as YAML ({@code --lr-scheduler-kwargs '{min_lr: 1e-6}'}).
 */
final class ConfigFlags {
    private static final ObjectMapper YAML = new YAMLMapper();

    private ConfigFlags() {
    }

    /** The snake_case names of the boolean components of configuration records. */
    static Set<String> booleanOptions(Class<?>... records) {
        PropertyNamingStrategies.SnakeCaseStrategy snakeCase = new PropertyNamingStrategies.SnakeCaseStrategy();
        Set<String> names = new LinkedHashSet<>();
        for (Class<?> record : records) {
            for (var component : record.getRecordComponents()) {
                if (component.getType() == boolean.class || component.getType() == Boolean.class) {
                    names.add(snakeCase.translate(component.getName()));
                }
            }
        }
        return names;
    }

    /**
     * Every option of a trainer command with its default: HF's training arguments over {@code trlDefaults} (the
     * algorithm's TRL defaults), but {@code output_dir} (the command's {@code --output}), then the components of the
     * algorithm's option records.
     */
    static Map<String, Object> trainerDefaults(Map<String, Object> trlDefaults, Record... algorithmOptions) {
        Map<String, Object> defaults = new LinkedHashMap<>(
                TrainingArguments.defaults().withOptions(trlDefaults).toOptions());
        defaults.remove("output_dir");
        for (Record options : algorithmOptions) {
            defaults.putAll(OptionRecords.toOptions(options));
        }
        return defaults;
    }

    /** Adds one flag per option of {@link #trainerDefaults} to {@code spec}. */
    static void addTrainer(CommandSpec spec, Map<String, Object> defaults, Record... algorithmOptions) {
        Class<?>[] records = new Class<?>[algorithmOptions.length + 1];
        records[0] = TrainingArguments.class;
        for (int i = 0; i < algorithmOptions.length; i++) {
            records[i + 1] = algorithmOptions[i].getClass();
        }
        add(spec, defaults, booleanOptions(records));
    }

    /** The flag of an option name. */
    static String flag(String option) {
        return "--" + option.replace('_', '-');
    }

    /**
     * Adds one flag per option to {@code spec}.
     *
     * @param defaults the default value of each option (shown in the help)
     * @param booleans the options that are booleans
     */
    static void add(CommandSpec spec, Map<String, Object> defaults, Set<String> booleans) {
        for (Map.Entry<String, Object> e : defaults.entrySet()) {
            String option = e.getKey();
            boolean bool = booleans.contains(option);
            OptionSpec.Builder b = OptionSpec.builder(flag(option)).type(String.class)
                    .paramLabel(bool ? "BOOL" : "VALUE")
                    .description("Option " + option + " (default: " + e.getValue() + ").");
            if (bool) {
                b.arity("0..1").fallbackValue("true");
            } else {
                b.arity("1");
            }
            spec.addOption(b.build());
        }
        for (String option : InapplicableOptions.names()) {
            if (spec.findOption(flag(option)) == null) {
                spec.addOption(OptionSpec.builder(flag(option)).type(String.class).arity("0..1").fallbackValue("true")
                        .hidden(true).build());
            }
        }
    }

    /** The option names that are a trainer command's flags: {@code names} but output_dir (its --output). */
    static Set<String> flagOptions(Set<String> names) {
        Set<String> flags = new LinkedHashSet<>(names);
        flags.remove("output_dir");
        return flags;
    }

    /**
     * The options among {@code names} given on the command line, by option name, converted as described above, and
     * the TRL/HF options that do not apply here given as (hidden) flags, for {@link InapplicableOptions} to judge.
     */
    static Map<String, Object> given(CommandSpec spec, Set<String> names) {
        ParseResult parsed = spec.commandLine().getParseResult();
        Map<String, Object> values = new LinkedHashMap<>();
        Set<String> all = new LinkedHashSet<>(names);
        all.addAll(InapplicableOptions.names());
        for (String option : all) {
            OptionSpec flag = spec.findOption(flag(option));
            // a command's own flag of the same name (score's --batch-size, ppo's --reward-model) is not an option
            boolean optionFlag = flag != null && (names.contains(option) || flag.hidden());
            if (optionFlag && parsed.hasMatchedOption(flag)) {
                values.put(option, value(option, flag.getValue()));
            }
        }
        return values;
    }

    private static Object value(String option, String text) {
        String trimmed = text.trim();
        if (trimmed.equalsIgnoreCase("none") || trimmed.equalsIgnoreCase("null")) {
            return null;
        }
        if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
            try {
                return YAML.readValue(trimmed, Object.class);
            } catch (IOException e) {
                throw new InputException("command line: option '" + option + "': cannot read '" + text
                        + "' as a YAML value", e);
            }
        }
        return text;
    }
}
