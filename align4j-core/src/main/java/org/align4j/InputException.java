package org.align4j;

/**
 * What a run was given is at fault: a malformed or missing file, an invalid option value, a model or tokenizer that
 * cannot be read, data that cannot be tokenized, a loss that became NaN. The message is one line naming the file and
 * line, or the field, e.g. {@code train.jsonl:12: field 'chosen' must be a string}; control characters in it are
 * escaped ({@link #oneLine}). The command line reports it as
 * that line with exit code 2; any other exception is an internal error (exit code 1, stack trace kept).
 *
 * <p>It is an {@link IllegalArgumentException}, the argument being the user's; an {@code IllegalArgumentException}
 * of any other type is a caller's mistake inside the program. Readers of user input (files, flags, config files)
 * convert the validation errors of the records they build into this type, naming where the value came from.
 */
public class InputException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** An error with a one-line message naming the file and line, or the field. */
    public InputException(String message) {
        super(oneLine(message));
    }

    /** An error with a one-line message, caused by {@code cause} (kept for the log of {@code --debug}). */
    public InputException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    /**
     * {@code message} on one line whatever the names and values quoted in it hold: line breaks, tabs and other
     * control characters escaped ({@code \n}, {@code \t}, {@code \u001f}).
     */
    public static String oneLine(String message) {
        if (message == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(message.length());
        message.codePoints().forEach(c -> {
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (Character.isISOControl(c)) {
                        out.append(String.format("\\u%04x", c));
                    } else {
                        out.appendCodePoint(c);
                    }
                }
            }
        });
        return out.toString();
    }
}
