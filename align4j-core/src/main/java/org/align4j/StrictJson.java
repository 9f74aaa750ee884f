package org.align4j;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one strict JSON reader of the files a user hands in (config.json, tokenizer files, adapter configs, JSONL
 * lines): a single value and nothing after it, no key twice, and strict UTF-8 text without a byte-order mark (no
 * UTF-16 or UTF-32 detection). What Python's {@code json} would reject, or read differently, is an error here too.
 */
public final class StrictJson {
    /** The mapper: trailing content and repeated keys are errors. */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private StrictJson() {
    }

    /**
     * The JSON value of {@code file}.
     *
     * @throws JsonParseException for text that is not UTF-8, starts with a byte-order mark, or is not one JSON value
     * @throws IOException        when the file cannot be read
     */
    public static JsonNode read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        return MAPPER.readTree(text(bytes, bytes.length));
    }

    /**
     * The first {@code length} bytes of {@code bytes} as strict UTF-8 text.
     *
     * @throws JsonParseException for bytes that are not UTF-8, or a byte-order mark at the start
     */
    public static String text(byte[] bytes, int length) throws JsonParseException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, 0, length))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new JsonParseException(null, "not UTF-8 text");
        }
        if (text.startsWith("\uFEFF")) {
            throw new JsonParseException(null, "starts with a byte-order mark (save it as UTF-8 without one)");
        }
        return text;
    }
}
