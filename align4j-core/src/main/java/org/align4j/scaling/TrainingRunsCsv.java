package org.align4j.scaling;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.align4j.InputException;

/**
 * Reads training runs (N, D, C, loss) from a CSV file with a header line. Columns are found by name, case-insensitively,
 * either as given or among common spellings: N as {@code N}, {@code parameters}, {@code params} or {@code Model Size}
 * (Epoch AI's extraction of Hoffmann et al.'s Figure 4); D as {@code D}, {@code tokens}; C as {@code C},
 * {@code compute}, {@code flops} or {@code Training FLOP}; the loss as {@code loss}, {@code eval_loss} or {@code L}.
 * N and the loss are required, and D or C: the missing one follows from C = 6ND. Fields may be double-quoted
 * (RFC 4180). Every error names {@code file:line} and the column.
 */
public final class TrainingRunsCsv {
    private static final List<String> PARAMETER_NAMES = List.of("N", "parameters", "params", "Model Size");
    private static final List<String> TOKEN_NAMES = List.of("D", "tokens");
    private static final List<String> COMPUTE_NAMES = List.of("C", "compute", "flops", "Training FLOP");
    private static final List<String> LOSS_NAMES = List.of("loss", "eval_loss", "L");

    /**
     * The column names to read; a null name means "the first of the common spellings present".
     *
     * @param parameters column of N
     * @param tokens     column of D (null and absent: derived from C)
     * @param compute    column of C (null and absent: derived from N and D)
     * @param loss       column of the loss
     */
    public record Columns(String parameters, String tokens, String compute, String loss) {
        /** Every column found by its common spellings. */
        public static Columns detect() {
            return new Columns(null, null, null, null);
        }
    }

    private TrainingRunsCsv() {
    }

    /**
     * The runs of {@code file}, one per non-blank line after the header.
     *
     * @throws InputException naming {@code file:line} and the column for a missing column, a line with the
     *                                  wrong number of fields, or a value that is not a positive number
     */
    public static List<TrainingRun> read(Path file, Columns columns) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new InputException(file + ": no such file", e);
        } catch (IOException e) {
            throw new InputException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (lines.isEmpty() || lines.get(0).isBlank()) {
            throw new InputException(file + ":1: empty file, expected a header line");
        }
        List<String> header = fields(lines.get(0).replace("\uFEFF", ""), file, 1);
        int n = column(header, columns.parameters(), PARAMETER_NAMES, "N", file, true);
        int d = column(header, columns.tokens(), TOKEN_NAMES, "D", file, false);
        int c = column(header, columns.compute(), COMPUTE_NAMES, "C", file, false);
        int l = column(header, columns.loss(), LOSS_NAMES, "loss", file, true);
        if (d < 0 && c < 0) {
            throw new InputException(file + ":1: neither a token column (" + String.join(", ", TOKEN_NAMES)
                    + ") nor a compute column (" + String.join(", ", COMPUTE_NAMES) + ") among " + header);
        }
        List<TrainingRun> runs = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            int lineNumber = i + 1;
            List<String> row = fields(lines.get(i), file, lineNumber);
            if (row.size() != header.size()) {
                throw new InputException(file + ":" + lineNumber + ": " + row.size() + " fields, the header has "
                        + header.size());
            }
            String where = file + ":" + lineNumber;
            double parameters = positive(row, n, header, where);
            double loss = positive(row, l, header, where);
            double tokens = d >= 0 ? positive(row, d, header, where) : Double.NaN;
            double compute = c >= 0 ? positive(row, c, header, where) : Double.NaN;
            if (d < 0) {
                tokens = compute / (6 * parameters);
            }
            if (c < 0) {
                compute = 6 * parameters * tokens;
            }
            runs.add(new TrainingRun(parameters, tokens, compute, loss, where));
        }
        if (runs.isEmpty()) {
            throw new InputException(file + ": no data lines after the header");
        }
        return runs;
    }

    private static int column(List<String> header, String name, List<String> spellings, String what, Path file,
                              boolean required) {
        List<String> wanted = name != null ? List.of(name) : spellings;
        for (String w : wanted) {
            for (int i = 0; i < header.size(); i++) {
                if (header.get(i).trim().equalsIgnoreCase(w)) {
                    return i;
                }
            }
        }
        if (required || name != null) {
            throw new InputException(file + ":1: no " + what + " column "
                    + (name != null ? "'" + name + "'" : "(" + String.join(", ", spellings) + ")") + " among " + header);
        }
        return -1;
    }

    private static double positive(List<String> row, int index, List<String> header, String where) {
        String text = row.get(index).trim();
        double value;
        try {
            value = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            value = Double.NaN;
        }
        if (!(value > 0) || !Double.isFinite(value)) {
            throw new InputException(where + ": column '" + header.get(index).trim() + "': '" + text
                    + "' is not a positive number");
        }
        return value;
    }

    /** The fields of one CSV line: comma-separated, optionally double-quoted with "" for a quote. */
    static List<String> fields(String line, Path file, int lineNumber) {
        List<String> out = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean afterQuote = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted) {
                if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                    afterQuote = true;
                } else {
                    field.append(ch);
                }
            } else if (ch == ',') {
                out.add(field.toString());
                field.setLength(0);
                afterQuote = false;
            } else if (ch == '"' && field.toString().isBlank() && !afterQuote) {
                quoted = true;
                field.setLength(0);
            } else if (afterQuote && !Character.isWhitespace(ch)) {
                throw new InputException(file + ":" + lineNumber + ": column " + (out.size() + 1)
                        + ": text after a closing quote");
            } else if (ch != '\r') {
                field.append(ch);
            }
        }
        if (quoted) {
            throw new InputException(file + ":" + lineNumber + ": column " + (out.size() + 1)
                    + ": unterminated quoted field");
        }
        out.add(field.toString());
        return out;
    }
}
