package org.align4j.align.sft;

import java.util.Map;
import java.util.Set;
import org.align4j.InputException;

/**
 * The SFT-specific options of TRL's {@code SFTConfig} (the trainer options are
 * {@link org.align4j.train.TrainingArguments}).
 *
 * @param maxLength          max_length: sequences are truncated to this many tokens, keeping the start (1024)
 * @param packing            packing: concatenate examples into rows of max_length tokens (false)
 * @param completionOnlyLoss completion_only_loss: train only on completions of prompt-completion data (true)
 */
public record SftConfig(int maxLength, boolean packing, boolean completionOnlyLoss) {
    /** The option names, snake_case as in TRL. */
    public static final Set<String> OPTION_NAMES = Set.of("max_length", "packing", "completion_only_loss");

    /** TRL's defaults. */
    public static SftConfig defaults() {
        return new SftConfig(1024, false, true);
    }

    /** {@code defaults()} with the given options (values may be strings, as from the command line). */
    public static SftConfig fromOptions(Map<String, Object> options, String source) {
        SftConfig d = defaults();
        int maxLength = options.containsKey("max_length") ? integer(options.get("max_length"), "max_length", source)
                : d.maxLength;
        if (maxLength <= 0) {
            throw new InputException(source + ": option 'max_length' must be positive, got " + maxLength);
        }
        return new SftConfig(maxLength,
                options.containsKey("packing") ? bool(options.get("packing"), "packing", source) : d.packing,
                options.containsKey("completion_only_loss")
                        ? bool(options.get("completion_only_loss"), "completion_only_loss", source) : d.completionOnlyLoss);
    }

    /** An option's value (a number or its text) as an int, or an error naming {@code source} and the option. */
    public static int integer(Object value, String name, String source) {
        try {
            return value instanceof Number n ? n.intValue() : Integer.parseInt(String.valueOf(value).trim());
        } catch (NumberFormatException e) {
            throw new InputException(source + ": option '" + name + "' must be an integer, got '" + value + "'");
        }
    }

    /** An option's value (a boolean or its text) as a boolean, or an error naming {@code source} and the option. */
    public static boolean bool(Object value, String name, String source) {
        if (value instanceof Boolean b) {
            return b;
        }
        String s = String.valueOf(value).trim().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("true") || s.equals("false")) {
            return Boolean.parseBoolean(s);
        }
        throw new InputException(source + ": option '" + name + "' must be true or false, got '" + value + "'");
    }
}
