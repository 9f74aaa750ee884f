package org.align4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PreTokenizerTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TokenizerFile FILE = new TokenizerFile("t/tokenizer.json");

    static PreTokenizer parse(String json) {
        try {
            return PreTokenizer.parse(JSON.readTree(json), FILE);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static List<String> pieces(PreTokenizer preTokenizer, String text, boolean atTextStart) {
        List<String> pieces = new ArrayList<>();
        preTokenizer.split(text, atTextStart, (piece, start) -> pieces.add(piece));
        return pieces;
    }

    static List<String> pieces(String json, String text) {
        return pieces(parse(json), text, true);
    }

    /** The examples of HF's {@code SplitDelimiterBehavior} documentation. */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "Removed; the|final|countdown",
            "Isolated; the|-|final|-|-|countdown",
            "MergedWithPrevious; the-|final-|-|countdown",
            "MergedWithNext; the|-final|-|-countdown",
            "Contiguous; the|-|final|--|countdown"})
    void splitBehaviors(String behavior, String expected) {
        String json = "{\"type\": \"Split\", \"pattern\": {\"String\": \"-\"}, \"behavior\": \"" + behavior + "\", \"invert\": false}";
        assertEquals(List.of(expected.split("\\|")), pieces(json, "the-final--countdown"));
    }

    @Test
    void splitInvertKeepsTheMatches() {
        assertEquals(List.of("Hello", "world"), pieces(
                "{\"type\": \"Split\", \"pattern\": {\"Regex\": \"\\\\w+\"}, \"behavior\": \"Removed\", \"invert\": true}",
                "Hello, world!"));
        assertEquals(List.of("Hello", ", world", "!"), pieces(
                "{\"type\": \"Split\", \"pattern\": {\"Regex\": \"\\\\w+\"}, \"behavior\": \"MergedWithNext\", \"invert\": true}",
                "Hello, world!"));
    }

    @Test
    void splitStringPatternIsLiteral() {
        assertEquals(List.of("a", "b"), pieces(
                "{\"type\": \"Split\", \"pattern\": {\"String\": \".*\"}, \"behavior\": \"Removed\"}", "a.*b"));
    }

    @Test
    void byteLevelWithGpt2Regex() {
        PreTokenizer gpt2 = parse("{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": true}");
        assertEquals(List.of("Hello", "Ġworld", "Ġ", "Ġhow", "'s", "Ġit", "ĠĠĠĊ", "Ċ", "12", "!?"),
                pieces(gpt2, "Hello world  how's it   \n\n12!?", true));
        assertEquals(List.of("ĠHello"), pieces(parse("{\"type\": \"ByteLevel\", \"add_prefix_space\": true}"), "Hello", true));
        assertEquals(List.of("Ġx"), pieces(parse("{\"type\": \"ByteLevel\", \"add_prefix_space\": true}"), " x", true));
        assertEquals(List.of("Ã©tÃ©Ġok"), pieces(parse("{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": false}"),
                "été ok", true), "each UTF-8 byte becomes one byte-level character");
    }

    @Test
    void llama3RegexSplitsDigitsInThrees() {
        String llama3 = """
                {"type": "Sequence", "pretokenizers": [
                  {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}{1,3}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+"},
                   "behavior": "Isolated", "invert": false},
                  {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}""";
        assertEquals(List.of("I", "'M", "Ġfine", "Ġ", "123", "456", "7", ".ĊĊ", "ĠĠ", "Ġx"),
                pieces(llama3, "I'M fine 1234567.\n\n   x"));
    }

    @Test
    void unicodeWhitespaceCountsAsSpace() {
        PreTokenizer gpt2 = parse("{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": true}");
        assertEquals(List.of("a", "Âł", "b"), pieces(gpt2, "a\u00a0b", true), "no-break space matches \\s, as in Oniguruma");
    }

    @Test
    void metaspaceLikeHuggingFaceTests() {
        PreTokenizer always = parse("{\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": \"always\", \"split\": true}");
        assertEquals(List.of("▁Hey", "▁friend!"), pieces(always, "Hey friend!", true));
        assertEquals(List.of("▁Hey", "▁", "▁", "▁friend!"), pieces(always, "Hey   friend!", true));
        assertEquals(List.of("▁x"), pieces(always, "x", false), "always prepends, wherever the piece is");
        PreTokenizer first = parse("{\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": \"first\", \"split\": false}");
        assertEquals(List.of("▁Hey▁my▁friend▁"), pieces(first, "Hey my friend ", true));
        assertEquals(List.of("how▁are▁you"), pieces(first, "how are you", false), "first: only at the start of the input");
        PreTokenizer never = parse("{\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": \"never\"}");
        assertEquals(List.of("Hey", "▁you"), pieces(never, "Hey you", true));
        PreTokenizer legacy = parse("{\"type\": \"Metaspace\", \"replacement\": \"▁\", \"add_prefix_space\": false}");
        assertEquals(List.of("Hey"), pieces(legacy, "Hey", true));
    }

    @Test
    void whitespaceDigitsAndSequence() {
        assertEquals(List.of("Hey", "man", "!", "Good", "?"), pieces("{\"type\": \"Whitespace\"}", "Hey man!  Good?"));
        assertEquals(List.of("Hey", "man!", "Good?"), pieces("{\"type\": \"WhitespaceSplit\"}", "Hey man!\u3000 Good?"));
        assertEquals(List.of("Call ", "1", "2", "3", " now"),
                pieces("{\"type\": \"Digits\", \"individual_digits\": true}", "Call 123 now"));
        assertEquals(List.of("Call ", "123", " now"),
                pieces("{\"type\": \"Digits\", \"individual_digits\": false}", "Call 123 now"));
        assertEquals(List.of("Call", "1", "2", "now"), pieces("""
                {"type": "Sequence", "pretokenizers": [
                  {"type": "WhitespaceSplit"}, {"type": "Digits", "individual_digits": true}]}""", "Call 12 now"));
    }

    @Test
    void firstPieceFlagFollowsTheStartOfTheInput() {
        PreTokenizer removeSpaces = parse("{\"type\": \"WhitespaceSplit\"}");
        List<Boolean> starts = new ArrayList<>();
        removeSpaces.split(" a b", true, (piece, atStart) -> starts.add(atStart));
        assertEquals(List.of(false, false), starts, "a removed leading space moves the first piece off offset 0");
        starts.clear();
        removeSpaces.split("a b", true, (piece, atStart) -> starts.add(atStart));
        assertEquals(List.of(true, false), starts);
    }

    @Test
    void errors() {
        assertEquals("t/tokenizer.json: unsupported pre_tokenizer type 'BertPreTokenizer'",
                assertThrows(TokenizerException.class, () -> parse("{\"type\": \"BertPreTokenizer\"}")).getMessage());
        assertEquals("t/tokenizer.json: unsupported Split behavior 'Sideways'", assertThrows(TokenizerException.class,
                () -> parse("{\"type\": \"Split\", \"pattern\": {\"String\": \"-\"}, \"behavior\": \"Sideways\"}")).getMessage());
        String badRegex = assertThrows(TokenizerException.class,
                () -> parse("{\"type\": \"Split\", \"pattern\": {\"Regex\": \"(\"}, \"behavior\": \"Isolated\"}")).getMessage();
        assertEquals("t/tokenizer.json: Split pre_tokenizer: regex ( does not compile: Unclosed group", badRegex);
    }
}
