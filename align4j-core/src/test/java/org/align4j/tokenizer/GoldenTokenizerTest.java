package org.align4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Exactness against the outputs of Hugging Face {@code tokenizers}/{@code transformers} stored in
 * {@code fixtures/tokenizers/<name>/golden.json}: every encoding (ids without and with special tokens, decoded text)
 * and every chat rendering (text and ids). The {@code gpt2} fixture has an empty vocabulary, which Hugging Face
 * accepts and then encodes every text to no ids at all (its golden file); here it is refused as it loads.
 */
class GoldenTokenizerTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Map<String, Tokenizer> TOKENIZERS = Map.of("qwen3", Fixtures.tokenizer("qwen3"));

    static Stream<Arguments> encodings() {
        List<Arguments> cases = new ArrayList<>();
        for (String name : TOKENIZERS.keySet()) {
            for (JsonNode encoding : golden(name).get("encodings")) {
                cases.add(Arguments.of(name, encoding));
            }
        }
        return cases.stream();
    }

    static Stream<Arguments> chats() {
        List<Arguments> cases = new ArrayList<>();
        for (String name : TOKENIZERS.keySet()) {
            for (JsonNode chat : golden(name).get("chat")) {
                cases.add(Arguments.of(name, chat));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("encodings")
    void encodesAndDecodesLikeHuggingFace(String name, JsonNode golden) {
        Tokenizer tokenizer = TOKENIZERS.get(name);
        String text = golden.get("text").asText();
        assertArrayEquals(ints(golden.get("ids")), tokenizer.encode(text, false), "ids");
        int[] withSpecial = ints(golden.get("ids_with_special"));
        assertArrayEquals(withSpecial, tokenizer.encode(text, true), "ids_with_special");
        assertEquals(golden.get("decoded").asText(), tokenizer.decode(withSpecial, false), "decoded");
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("chats")
    void rendersChatTemplatesLikeTransformers(String name, JsonNode golden) throws IOException {
        Tokenizer tokenizer = TOKENIZERS.get(name);
        List<Map<String, Object>> messages = JSON.convertValue(golden.get("messages"),
                JSON.getTypeFactory().constructCollectionType(List.class, Map.class));
        String text = tokenizer.chatTemplate().orElseThrow()
                .render(messages, golden.get("add_generation_prompt").asBoolean(), Map.of());
        assertEquals(golden.get("text").asText(), text);
        assertArrayEquals(ints(golden.get("ids")), tokenizer.encode(text, false));
    }

    @Test
    void goldenFilesCoverTheTokenizer() {
        assertEquals(19, golden("qwen3").get("encodings").size());
        assertEquals(6, golden("qwen3").get("chat").size());
        assertTrue(TOKENIZERS.get("qwen3").chatTemplate().isPresent());
    }

    /**
     * Hugging Face loses every character of every text with the gpt2 fixture's empty vocabulary (only its added
     * token, id 0, survives); we refuse it.
     */
    @Test
    void emptyByteLevelVocabularyIsRefused() {
        for (JsonNode encoding : golden("gpt2").get("encodings")) {
            encoding.get("ids").forEach(id -> assertEquals(0, id.asInt(), "Hugging Face drops " + encoding.get("text")));
        }
        Path directory = Fixtures.directory("gpt2");
        TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizer.load(directory));
        assertEquals(directory.resolve("tokenizer.json") + ": the ByteLevel pre_tokenizer needs every byte in the"
                + " vocab, but byte 0x00 ('\u0100') is missing and there is no unk_token to stand in for it",
                e.getMessage());
    }

    private static JsonNode golden(String name) {
        try {
            return JSON.readTree(Fixtures.directory(name).resolve("golden.json").toFile());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static int[] ints(JsonNode array) {
        int[] values = new int[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).asInt();
        }
        return values;
    }

    /** The tokenizer fixtures, each loaded once per test JVM. */
    static final class Fixtures {
        private static final Map<String, Tokenizer> LOADED = new java.util.concurrent.ConcurrentHashMap<>();

        static Path directory(String name) {
            try {
                return Path.of(Fixtures.class.getResource("/fixtures/tokenizers/" + name).toURI());
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }

        static Tokenizer tokenizer(String name) {
            return LOADED.computeIfAbsent(name, n -> Tokenizer.load(directory(n)));
        }
    }
}
