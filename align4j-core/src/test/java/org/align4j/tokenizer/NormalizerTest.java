package org.align4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.Test;

class NormalizerTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TokenizerFile FILE = new TokenizerFile("t/tokenizer.json");

    static Normalizer parse(String json) {
        try {
            return Normalizer.parse(JSON.readTree(json), FILE);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void unicodeForms() {
        String decomposed = "e\u0301";
        assertEquals("\u00e9", parse("{\"type\": \"NFC\"}").normalize(decomposed));
        assertEquals(decomposed, parse("{\"type\": \"NFD\"}").normalize("\u00e9"));
        assertEquals("fi2", parse("{\"type\": \"NFKC\"}").normalize("\ufb01\u00b2"));
        assertEquals("fie\u0301", parse("{\"type\": \"NFKD\"}").normalize("\ufb01\u00e9"));
    }

    @Test
    void lowercaseMapsEachCharacterWithoutContext() {
        Normalizer lowercase = parse("{\"type\": \"Lowercase\"}");
        assertEquals("hello σσ", lowercase.normalize("HeLLo ΣΣ"), "no final sigma, as Rust's char::to_lowercase");
        assertEquals("i\u0307stanbul", lowercase.normalize("\u0130stanbul"));
    }

    @Test
    void stripPrependReplace() {
        assertEquals("a b", parse("{\"type\": \"Strip\", \"strip_left\": true, \"strip_right\": true}").normalize(" \u3000a b\n"));
        assertEquals(" a b", parse("{\"type\": \"Strip\", \"strip_left\": false, \"strip_right\": true}").normalize(" a b "));
        Normalizer prepend = parse("{\"type\": \"Prepend\", \"prepend\": \"▁\"}");
        assertEquals("▁hi", prepend.normalize("hi"));
        assertEquals("", prepend.normalize(""), "empty text stays empty");
        assertEquals("a▁b▁▁c", parse("{\"type\": \"Replace\", \"pattern\": {\"String\": \" \"}, \"content\": \"▁\"}")
                .normalize("a b  c"));
        assertEquals("a.b", parse("{\"type\": \"Replace\", \"pattern\": {\"String\": \"$x\"}, \"content\": \".\"}")
                .normalize("a$xb"), "a String pattern is literal");
        assertEquals("a_b_c", parse("{\"type\": \"Replace\", \"pattern\": {\"Regex\": \"\\\\s+\"}, \"content\": \"_\"}")
                .normalize("a \t b\u00a0c"));
    }

    @Test
    void sequenceAppliesInOrderLikeLlama2() {
        Normalizer llama2 = parse("""
                {"type": "Sequence", "normalizers": [
                  {"type": "Prepend", "prepend": "▁"},
                  {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}""");
        assertEquals("▁Hello▁world", llama2.normalize("Hello world"));
    }

    @Test
    void unsupportedTypeNamesFileAndType() {
        TokenizerException e = assertThrows(TokenizerException.class, () -> parse("{\"type\": \"Precompiled\"}"));
        assertEquals("t/tokenizer.json: unsupported normalizer type 'Precompiled'", e.getMessage());
        TokenizerException nested = assertThrows(TokenizerException.class,
                () -> parse("{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"BertNormalizer\"}]}"));
        assertEquals("t/tokenizer.json: unsupported normalizer type 'BertNormalizer'", nested.getMessage());
    }
}
