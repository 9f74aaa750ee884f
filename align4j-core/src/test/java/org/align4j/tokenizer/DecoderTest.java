package org.align4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class DecoderTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TokenizerFile FILE = new TokenizerFile("t/tokenizer.json");

    static List<String> decode(String json, String... tokens) {
        try {
            return Decoder.parse(JSON.readTree(json), FILE).decodeChain(List.of(tokens));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void byteLevel() {
        assertEquals(List.of("Hello world\n"), decode("{\"type\": \"ByteLevel\"}", "Hello", "Ġworld", "Ċ"));
        assertEquals(List.of("été"), decode("{\"type\": \"ByteLevel\"}", "Ã©", "tÃ", "©"), "bytes join across tokens");
        assertEquals(List.of("<|im_start|>你 x"), decode("{\"type\": \"ByteLevel\"}", "<|im_start|>", "你", "Ġx"),
                "a token outside the byte alphabet keeps its own UTF-8 bytes");
        assertEquals(List.of("\uFFFDa"), decode("{\"type\": \"ByteLevel\"}", "ä", "a"), "invalid UTF-8 becomes U+FFFD");
    }

    @Test
    void metaspace() {
        assertEquals(List.of("Hey", " friend!"), decode("{\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": \"always\"}",
                "▁Hey", "▁friend!"));
        assertEquals(List.of(" Hey", " friend!"), decode("{\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": \"never\"}",
                "▁Hey", "▁friend!"));
    }

    /** HF's own test cases for {@code ByteFallback} and {@code Strip}. */
    @Test
    void byteFallbackAndStrip() {
        String byteFallback = "{\"type\": \"ByteFallback\"}";
        assertEquals(List.of("Hey", "friend!"), decode(byteFallback, "Hey", "friend!"));
        assertEquals(List.of("a"), decode(byteFallback, "<0x61>"));
        assertEquals(List.of("\uFFFD"), decode(byteFallback, "<0xE5>"));
        assertEquals(List.of("\uFFFD", "\uFFFD"), decode(byteFallback, "<0xE5>", "<0x8f>"));
        assertEquals(List.of("叫", "a"), decode(byteFallback, "<0xE5>", "<0x8f>", "<0xab>", "a"));
        assertEquals(List.of("\uFFFD", "\uFFFD", "a"), decode(byteFallback, "<0xE5>", "<0x8f>", "a"));
        assertEquals(List.of("ey", " friend!", "HH"),
                decode("{\"type\": \"Strip\", \"content\": \"H\", \"start\": 1, \"stop\": 0}", "Hey", " friend!", "HHH"));
        assertEquals(List.of("He", " friend!"),
                decode("{\"type\": \"Strip\", \"content\": \"y\", \"start\": 0, \"stop\": 1}", "Hey", " friend!"));
    }

    @Test
    void llama2SequenceReplaceByteFallbackFuseStrip() {
        String llama2 = """
                {"type": "Sequence", "decoders": [
                  {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                  {"type": "ByteFallback"}, {"type": "Fuse"},
                  {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}""";
        assertEquals(List.of("Hello wörld"), decode(llama2, "▁Hello", "▁w", "<0xC3>", "<0xB6>", "rld"));
    }

    @Test
    void unsupportedType() {
        assertEquals("t/tokenizer.json: unsupported decoder type 'CTC'",
                assertThrows(TokenizerException.class, () -> decode("{\"type\": \"CTC\"}")).getMessage());
    }
}
