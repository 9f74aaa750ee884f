package org.align4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hugging Face {@code tokenizers} decoder: turns the tokens of a list of ids back into text pieces, which are then
 * concatenated. Supported types: {@code ByteLevel}, {@code Metaspace}, {@code ByteFallback}, {@code Replace},
 * {@code Fuse}, {@code Strip} and {@code Sequence}.
 */
sealed interface Decoder {

    List<String> decodeChain(List<String> tokens);

    static Decoder parse(JsonNode node, TokenizerFile file) {
        String type = file.type(node, "decoder");
        return switch (type) {
            case "ByteLevel" -> new ByteLevel();
            case "Metaspace" -> new Metaspace(file.character(node, "replacement", "Metaspace decoder"),
                    PreTokenizer.PrependScheme.parse(node, file));
            case "ByteFallback" -> new ByteFallback();
            case "Replace" -> new Replace(file.pattern(node, "pattern", "Replace decoder"),
                    file.requiredText(node, "content", "Replace decoder"));
            case "Fuse" -> new Fuse();
            case "Strip" -> new Strip(file.character(node, "content", "Strip decoder"), file.integer(node, "start", 0),
                    file.integer(node, "stop", 0));
            case "Sequence" -> {
                List<Decoder> steps = new ArrayList<>();
                for (JsonNode step : file.array(node, "decoders", "Sequence decoder")) {
                    steps.add(parse(step, file));
                }
                yield new Sequence(List.copyOf(steps));
            }
            default -> throw file.unsupported("decoder", type);
        };
    }

    /**
     * {@code ByteLevel}: maps the {@link ByteLevelAlphabet} characters of all tokens back to bytes (a token with a
     * character outside the alphabet, such as an added token, contributes its own UTF-8 bytes) and decodes them as
     * UTF-8, invalid sequences becoming U+FFFD.
     */
    record ByteLevel() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (String token : tokens) {
                byte[] tokenBytes = new byte[token.length()];
                boolean allInAlphabet = true;
                for (int i = 0; i < token.length() && allInAlphabet; i++) {
                    int b = ByteLevelAlphabet.byteOf(token.charAt(i));
                    allInAlphabet = b >= 0;
                    tokenBytes[i] = (byte) b;
                }
                bytes.writeBytes(allInAlphabet ? tokenBytes : token.getBytes(StandardCharsets.UTF_8));
            }
            return List.of(bytes.toString(StandardCharsets.UTF_8));
        }
    }

    /**
     * {@code Metaspace}: replacement characters become spaces, except that in the first token they are dropped unless
     * the prepend scheme is {@code never}.
     */
    record Metaspace(int replacement, PreTokenizer.PrependScheme prependScheme) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            String marker = Character.toString(replacement);
            for (int i = 0; i < tokens.size(); i++) {
                boolean drop = i == 0 && prependScheme != PreTokenizer.PrependScheme.NEVER;
                out.add(tokens.get(i).replace(marker, drop ? "" : " "));
            }
            return out;
        }
    }

    /**
     * {@code ByteFallback}: runs of {@code <0xXX>} tokens become the text of their bytes if those are valid UTF-8,
     * else one U+FFFD per byte token.
     */
    record ByteFallback() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            ByteArrayOutputStream pending = new ByteArrayOutputStream();
            for (String token : tokens) {
                int b = byteOfToken(token);
                if (b >= 0) {
                    pending.write(b);
                } else {
                    flush(pending, out);
                    out.add(token);
                }
            }
            flush(pending, out);
            return out;
        }

        private static int byteOfToken(String token) {
            if (token.length() != 6 || !token.startsWith("<0x") || !token.endsWith(">")) {
                return -1;
            }
            try {
                return Integer.parseInt(token.substring(3, 5), 16);
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        private static void flush(ByteArrayOutputStream pending, List<String> out) {
            if (pending.size() == 0) {
                return;
            }
            byte[] bytes = pending.toByteArray();
            pending.reset();
            try {
                out.add(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString());
            } catch (CharacterCodingException e) {
                for (int i = 0; i < bytes.length; i++) {
                    out.add("\uFFFD");
                }
            }
        }
    }

    /** {@code Replace}: replaces every match of a pattern in each token. */
    record Replace(Pattern pattern, String content) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String token : tokens) {
                out.add(pattern.matcher(token).replaceAll(Matcher.quoteReplacement(content)));
            }
            return out;
        }
    }

    /** {@code Fuse}: joins all tokens into one. */
    record Fuse() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            return List.of(String.join("", tokens));
        }
    }

    /** {@code Strip}: removes up to {@code start} leading and {@code stop} trailing {@code content} characters. */
    record Strip(int content, int start, int stop) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String token : tokens) {
                int[] chars = token.codePoints().toArray();
                int from = 0;
                while (from < start && from < chars.length && chars[from] == content) {
                    from++;
                }
                int to = chars.length;
                while (chars.length - to < stop && to > from && chars[to - 1] == content) {
                    to--;
                }
                out.add(new String(chars, from, to - from));
            }
            return out;
        }
    }

    /** {@code Sequence}: applies decoders in order. */
    record Sequence(List<Decoder> steps) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            for (Decoder step : steps) {
                tokens = step.decodeChain(tokens);
            }
            return tokens;
        }
    }
}
