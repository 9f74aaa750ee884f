package org.align4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Field access on one parsed tokenizer file ({@code tokenizer.json}), whose errors name the file: every component
 * parser reads its JSON object through this, so that a missing field or an unsupported type becomes a one-line
 * {@link TokenizerException} such as {@code /m/tokenizer.json: unsupported decoder type 'CTC'}.
 */
record TokenizerFile(String name) {

    TokenizerException error(String message) {
        return new TokenizerException(name + ": " + message);
    }

    /** The {@code type} of a component object ({@code kind} is e.g. "normalizer", used in the error message). */
    String type(JsonNode component, String kind) {
        JsonNode type = component.get("type");
        if (type == null || !type.isTextual()) {
            throw error(kind + " without a \"type\": " + abbreviate(component));
        }
        return type.asText();
    }

    TokenizerException unsupported(String kind, String type) {
        return error("unsupported " + kind + " type '" + type + "'");
    }

    String requiredText(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw error(where + ": missing string field \"" + field + "\"");
        }
        return value.asText();
    }

    String optionalText(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    boolean bool(JsonNode node, String field, boolean defaultValue) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? defaultValue : value.asBoolean();
    }

    int integer(JsonNode node, String field, int defaultValue) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? defaultValue : value.asInt();
    }

    /** A single-character field such as Metaspace's {@code replacement}, returned as its code point. */
    int character(JsonNode node, String field, String where) {
        String text = requiredText(node, field, where);
        if (text.codePointCount(0, text.length()) != 1) {
            throw error(where + ": \"" + field + "\" must be one character, got '" + text + "'");
        }
        return text.codePointAt(0);
    }

    JsonNode array(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || !value.isArray()) {
            throw error(where + ": missing array field \"" + field + "\"");
        }
        return value;
    }

    /**
     * A Hugging Face {@code Pattern}: {@code {"String": "..."}} (matched literally) or {@code {"Regex": "..."}} (an
     * Oniguruma regex, compiled as a {@code java.util.regex} pattern with Unicode character classes so that
     * {@code \s}, {@code \w} and case folding follow Unicode as in Oniguruma).
     */
    Pattern pattern(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value != null && value.has("String")) {
            return Pattern.compile(Pattern.quote(value.get("String").asText()));
        }
        if (value != null && value.has("Regex")) {
            String regex = value.get("Regex").asText();
            try {
                return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
            } catch (PatternSyntaxException e) {
                throw error(where + ": regex " + regex + " does not compile: " + e.getDescription());
            }
        }
        throw error(where + ": \"" + field + "\" must be {\"String\": ...} or {\"Regex\": ...}");
    }

    private static String abbreviate(JsonNode node) {
        String text = node.toString();
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }
}
