package org.align4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes small tokenizer directories for tests: a byte-level BPE whose vocabulary is the 256 byte characters
 * (ids 0-255) plus {@code Ġt} (256), {@code he} (257) and {@code Ġthe} (258), with components replaced as a test
 * needs.
 */
final class TokenizerDirectory {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final ObjectNode tokenizer;
    private String config = "{}";

    private TokenizerDirectory() {
        tokenizer = JSON.createObjectNode();
        tokenizer.put("version", "1.0");
        tokenizer.putArray("added_tokens");
        tokenizer.putNull("normalizer");
        tokenizer.set("pre_tokenizer", json("{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": true}"));
        tokenizer.putNull("post_processor");
        tokenizer.set("decoder", json("{\"type\": \"ByteLevel\"}"));
        ObjectNode model = tokenizer.putObject("model");
        model.put("type", "BPE");
        ObjectNode vocab = model.putObject("vocab");
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(BYTE_CHARS.charAt(b)), b);
        }
        vocab.put("Ġt", 256);
        vocab.put("he", 257);
        vocab.put("Ġthe", 258);
        model.set("merges", json("[\"Ġ t\", \"h e\", \"Ġt he\"]"));
    }

    /** The byte-level character of each byte, in byte order. */
    private static final String BYTE_CHARS = byteChars();

    private static String byteChars() {
        StringBuilder chars = new StringBuilder();
        for (int b = 0; b < 256; b++) {
            for (char c = 0; c < 0x180; c++) {
                if (ByteLevelAlphabet.byteOf(c) == b) {
                    chars.append(c);
                    break;
                }
            }
        }
        return chars.toString();
    }

    static TokenizerDirectory byteLevel() {
        return new TokenizerDirectory();
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    TokenizerDirectory set(String field, String componentJson) {
        tokenizer.set(field, json(componentJson));
        return this;
    }

    /** Gives vocabulary entry {@code from}'s id to a new entry {@code to}, removing {@code from}. */
    TokenizerDirectory renameVocabEntry(String from, String to) {
        ObjectNode vocab = (ObjectNode) tokenizer.get("model").get("vocab");
        vocab.set(to, vocab.remove(from));
        return this;
    }

    /** Sets a field of the BPE model object, e.g. {@code unk_token}. */
    TokenizerDirectory modelField(String field, String valueJson) {
        ((ObjectNode) tokenizer.get("model")).set(field, json(valueJson));
        return this;
    }

    TokenizerDirectory config(String configJson) {
        this.config = configJson;
        return this;
    }

    Path write(Path directory) {
        try {
            Files.createDirectories(directory);
            JSON.writeValue(directory.resolve(Tokenizer.TOKENIZER_FILE).toFile(), tokenizer);
            Files.writeString(directory.resolve(Tokenizer.CONFIG_FILE), config);
            return directory;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Tokenizer load(Path directory) {
        return Tokenizer.load(write(directory));
    }
}
