package org.align4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hugging Face {@code tokenizers} normalizer: rewrites each stretch of input text between added tokens before it is
 * pre-tokenized. Supported types: {@code NFC}, {@code NFD}, {@code NFKC}, {@code NFKD}, {@code Lowercase},
 * {@code Strip}, {@code Prepend}, {@code Replace} and {@code Sequence}.
 */
sealed interface Normalizer {

    String normalize(String text);

    static Normalizer parse(JsonNode node, TokenizerFile file) {
        String type = file.type(node, "normalizer");
        return switch (type) {
            case "NFC" -> new UnicodeForm(java.text.Normalizer.Form.NFC);
            case "NFD" -> new UnicodeForm(java.text.Normalizer.Form.NFD);
            case "NFKC" -> new UnicodeForm(java.text.Normalizer.Form.NFKC);
            case "NFKD" -> new UnicodeForm(java.text.Normalizer.Form.NFKD);
            case "Lowercase" -> new Lowercase();
            case "Strip" -> new Strip(file.bool(node, "strip_left", true), file.bool(node, "strip_right", true));
            case "Prepend" -> new Prepend(file.requiredText(node, "prepend", "Prepend normalizer"));
            case "Replace" -> new Replace(file.pattern(node, "pattern", "Replace normalizer"),
                    file.requiredText(node, "content", "Replace normalizer"));
            case "Sequence" -> {
                List<Normalizer> steps = new ArrayList<>();
                for (JsonNode step : file.array(node, "normalizers", "Sequence normalizer")) {
                    steps.add(parse(step, file));
                }
                yield new Sequence(List.copyOf(steps));
            }
            default -> throw file.unsupported("normalizer", type);
        };
    }

    /** {@code NFC}, {@code NFD}, {@code NFKC}, {@code NFKD}: Unicode normalization forms. */
    record UnicodeForm(java.text.Normalizer.Form form) implements Normalizer {
        @Override
        public String normalize(String text) {
            return java.text.Normalizer.normalize(text, form);
        }
    }

    /**
     * {@code Lowercase}: each character's full lowercase mapping on its own, as Rust's {@code char::to_lowercase}
     * (no context-dependent rules such as the final sigma, unlike {@link String#toLowerCase}).
     */
    record Lowercase() implements Normalizer {
        private static final int CAPITAL_I_WITH_DOT = 0x130;

        @Override
        public String normalize(String text) {
            StringBuilder out = new StringBuilder(text.length());
            text.codePoints().forEach(c -> {
                if (c == CAPITAL_I_WITH_DOT) {
                    out.append("i\u0307");
                } else {
                    out.appendCodePoint(Character.toLowerCase(c));
                }
            });
            return out.toString();
        }
    }

    /** {@code Strip}: removes leading and/or trailing Unicode whitespace. */
    record Strip(boolean left, boolean right) implements Normalizer {
        @Override
        public String normalize(String text) {
            int start = 0;
            int end = text.length();
            while (left && start < end && isWhitespace(text.codePointAt(start))) {
                start += Character.charCount(text.codePointAt(start));
            }
            while (right && end > start && isWhitespace(text.codePointBefore(end))) {
                end -= Character.charCount(text.codePointBefore(end));
            }
            return text.substring(start, end);
        }
    }

    /** {@code Prepend}: puts a fixed string in front of non-empty text. */
    record Prepend(String prefix) implements Normalizer {
        @Override
        public String normalize(String text) {
            return text.isEmpty() ? text : prefix + text;
        }
    }

    /** {@code Replace}: replaces every match of a literal or regex pattern by fixed content. */
    record Replace(Pattern pattern, String content) implements Normalizer {
        @Override
        public String normalize(String text) {
            return pattern.matcher(text).replaceAll(Matcher.quoteReplacement(content));
        }
    }

    /** {@code Sequence}: applies normalizers in order. */
    record Sequence(List<Normalizer> steps) implements Normalizer {
        @Override
        public String normalize(String text) {
            for (Normalizer step : steps) {
                text = step.normalize(text);
            }
            return text;
        }
    }

    /** Unicode's White_Space property, which Rust's {@code char::is_whitespace} tests. */
    static boolean isWhitespace(int c) {
        return switch (c) {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> c >= 0x2000 && c <= 0x200A;
        };
    }
}
