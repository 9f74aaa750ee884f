package org.align4j.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.align4j.ClosestName;
import org.align4j.StrictJson;

/**
 * Reads a JSONL file of examples in TRL's formats, detecting each line's format from its keys. Every problem is a
 * {@link DataException} naming {@code file:line} and the field; nothing is silently dropped.
 */
public final class JsonlDataset {
    /** One JSON value per line, nothing after it, no key twice. */
    private static final ObjectMapper JSON = StrictJson.MAPPER;
    /** The field of language-modelling text in TRL's standard format. */
    public static final String TEXT_FIELD = "text";

    private JsonlDataset() {
    }

    /** All examples of {@code file}, in order. Blank lines are skipped. */
    public static List<Example> read(Path file) {
        return readLines(file, JsonlDataset::parse);
    }

    /**
     * As {@link #read(Path)}, a line with the field {@code textField} (TRL's {@code dataset_text_field}, "text" by
     * default) being language-modelling text.
     */
    public static List<Example> read(Path file, String textField) {
        return textField.equals(TEXT_FIELD) ? read(file) : readLines(file, (line, source) -> {
            ObjectNode obj = object(line, source);
            return obj.has(textField) ? new Example.LanguageModeling(source, text(obj, textField, source))
                    : parse(obj, source);
        });
    }

    /**
     * All examples of {@code file} with their {@code condition} (a required string field naming the data source, as
     * C-RLFT's mixed-quality data carries).
     */
    public static List<ConditionedExample> readConditioned(Path file) {
        return readLines(file, (line, source) -> {
            ObjectNode obj = object(line, source);
            Example example = parse(obj, source);
            JsonNode condition = obj.get("condition");
            if (condition == null || !condition.isTextual() || condition.asText().isBlank()) {
                throw new DataException(source + ": field 'condition' must be a non-empty string (the data source)");
            }
            return new ConditionedExample(condition.asText(), example);
        });
    }

    /** Parses one line into a record; {@code source} is {@code file:line}. */
    @FunctionalInterface
    public interface LineParser<T> {
        T parse(String line, String source);
    }

    /**
     * The records of every non-blank line of a JSONL file, each parsed by {@code parser} with its {@code file:line};
     * a missing, non-UTF-8 or empty file is a {@link DataException}.
     */
    public static <T> List<T> readLines(Path file, LineParser<T> parser) {
        List<T> examples = new ArrayList<>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int lineNo = 0;
            boolean more = true;
            while (more) {
                int b = in.read();
                more = b >= 0;
                if (more && b != '\n') {
                    line.write(b);
                    continue;
                }
                if (!more && line.size() == 0) {
                    break;
                }
                lineNo++;
                String source = file.getFileName() + ":" + lineNo;
                String text = decodeLine(line.toByteArray(), source);
                line.reset();
                if (!isJsonWhitespace(text)) {
                    examples.add(parser.parse(text, source));
                }
            }
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": no such file");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
        if (examples.isEmpty()) {
            throw new DataException(file + ": no examples");
        }
        return examples;
    }

    /** Whether a line holds only JSON's whitespace (space, tab, carriage return): a blank line, skipped. */
    private static boolean isJsonWhitespace(String line) {
        return line.chars().allMatch(c -> c == ' ' || c == '\t' || c == '\r');
    }

    /**
     * A line's bytes (a line ends at {@code \n}, one {@code \r} before it dropped) as strict UTF-8 text.
     *
     * @throws DataException naming {@code source} for bytes that are not UTF-8, or a byte-order mark
     */
    private static String decodeLine(byte[] bytes, String source) {
        int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        try {
            return StrictJson.text(bytes, length);
        } catch (JsonProcessingException e) {
            throw new DataException(source + ": " + e.getOriginalMessage());
        }
    }

    /** One line as a JSON object; malformed JSON or another kind of value is a {@link DataException}. */
    public static ObjectNode object(String line, String source) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new DataException(source + ": malformed JSON: " + e.getOriginalMessage());
        }
        if (!(node instanceof ObjectNode obj)) {
            throw new DataException(source + ": expected a JSON object, got " + node.getNodeType().name().toLowerCase());
        }
        return obj;
    }

    /** Parses one JSON line; {@code source} is {@code file:line} for messages. */
    public static Example parse(String line, String source) {
        return parse(object(line, source), source);
    }

    private static Example parse(ObjectNode obj, String source) {
        Set<String> keys = new TreeSet<>();
        obj.fieldNames().forEachRemaining(keys::add);
        if (keys.contains("completion_ids")) {
            return new Example.TokenizedUnpairedPreference(source, ids(obj, "prompt_ids", source),
                    ids(obj, "completion_ids", source), label(obj, source));
        }
        if (keys.contains("prompt_ids") || keys.contains("chosen_ids")) {
            return new Example.TokenizedPreference(source, ids(obj, "prompt_ids", source),
                    ids(obj, "chosen_ids", source), ids(obj, "rejected_ids", source));
        }
        if (keys.contains("chosen") || keys.contains("rejected")) {
            Text prompt = keys.contains("prompt") ? text(obj, "prompt", source) : null;
            Double margin = keys.contains("margin") ? number(obj, "margin", source) : null;
            return new Example.Preference(source, prompt, text(obj, "chosen", source), text(obj, "rejected", source),
                    margin);
        }
        if (keys.contains("completion") && keys.contains("label")) {
            return new Example.UnpairedPreference(source, text(obj, "prompt", source), text(obj, "completion", source),
                    label(obj, source));
        }
        if (keys.contains("completion")) {
            return new Example.PromptCompletion(source, text(obj, "prompt", source), text(obj, "completion", source));
        }
        if (keys.contains("text")) {
            return new Example.LanguageModeling(source, text(obj, "text", source));
        }
        if (keys.contains("messages")) {
            return new Example.LanguageModeling(source, text(obj, "messages", source));
        }
        if (keys.contains("prompt")) {
            Map<String, JsonNode> columns = new LinkedHashMap<>();
            obj.properties().forEach(e -> columns.put(e.getKey(), e.getValue()));
            columns.remove("prompt");
            return new Example.PromptOnly(source, text(obj, "prompt", source), columns);
        }
        throw new DataException(source + ": no known dataset fields in " + keys
                + " (expected text, messages, prompt/completion, prompt/chosen/rejected or *_ids)");
    }

    /** The boolean {@code label} of an unpaired preference line. */
    private static boolean label(ObjectNode obj, String source) {
        JsonNode label = obj.get("label");
        if (label == null || !label.isBoolean()) {
            throw new DataException(source + ": field 'label' must be true or false, got "
                    + (label == null ? "nothing" : label.getNodeType().name().toLowerCase(Locale.ROOT)));
        }
        return label.booleanValue();
    }

    private static Text text(ObjectNode obj, String field, String source) {
        JsonNode n = obj.get(field);
        if (n == null || n.isNull()) {
            throw missingField(obj, field, source);
        }
        if (n.isTextual()) {
            return new Text.Plain(n.asText());
        }
        if (n.isArray()) {
            List<Message> messages = new ArrayList<>();
            for (int i = 0; i < n.size(); i++) {
                JsonNode m = n.get(i);
                String where = source + ": field '" + field + "[" + i + "]'";
                if (!m.isObject()) {
                    throw new DataException(where + " must be a message object {\"role\", \"content\"}");
                }
                JsonNode role = m.get("role");
                JsonNode content = m.get("content");
                if (role == null || !role.isTextual()) {
                    throw new DataException(where + " needs a string 'role'");
                }
                if (content == null || !content.isTextual()) {
                    throw new DataException(where + " needs a string 'content'");
                }
                messages.add(new Message(role.asText(), content.asText()));
            }
            if (messages.isEmpty()) {
                throw new DataException(source + ": field '" + field + "' is an empty message list");
            }
            return new Text.Conversation(messages);
        }
        throw new DataException(source + ": field '" + field + "' must be a string or a list of messages, got "
                + n.getNodeType().name().toLowerCase());
    }

    /**
     * "missing field 'chosen' (the line has choosen, prompt, rejected; is 'choosen' a misspelling of it?)": the
     * fields the line has, and the one among them the missing name was likely meant as.
     */
    private static DataException missingField(ObjectNode obj, String field, String source) {
        Set<String> present = new TreeSet<>();
        obj.fieldNames().forEachRemaining(present::add);
        if (obj.has(field)) {
            return new DataException(source + ": field '" + field + "' is null");
        }
        String misspelt = ClosestName.among(field, present);
        return new DataException(source + ": missing field '" + field + "' (the line has "
                + String.join(", ", present) + (misspelt != null ? "; is '" + misspelt + "' a misspelling of it?" : "")
                + ")");
    }

    private static double number(ObjectNode obj, String field, String source) {
        JsonNode n = obj.get(field);
        if (n == null || !n.isNumber() || !Double.isFinite(n.asDouble())) {
            throw new DataException(source + ": field '" + field + "' must be a finite number, got " + n);
        }
        return n.asDouble();
    }

    private static int[] ids(ObjectNode obj, String field, String source) {
        JsonNode n = obj.get(field);
        if (n == null) {
            throw missingField(obj, field, source);
        }
        if (!n.isArray()) {
            throw new DataException(source + ": field '" + field + "' must be a list of token ids");
        }
        int[] ids = new int[n.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode v = n.get(i);
            if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 0) {
                throw new DataException(source + ": field '" + field + "[" + i + "]' must be a non-negative integer, got " + v);
            }
            ids[i] = v.asInt();
        }
        return ids;
    }
}
