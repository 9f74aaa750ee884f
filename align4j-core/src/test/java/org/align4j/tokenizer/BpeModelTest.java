package org.align4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.Test;

class BpeModelTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TokenizerFile FILE = new TokenizerFile("t/tokenizer.json");
    private static final String VOCAB = "{\"a\": 0, \"b\": 1, \"c\": 2, \"ab\": 3, \"bc\": 4, \"abc\": 5, \"aa\": 6, \"<unk>\": 7}";

    static BpeModel model(String vocab, String merges, String options) {
        try {
            return BpeModel.parse(JSON.readTree("{\"type\": \"BPE\", \"vocab\": " + vocab + ", \"merges\": " + merges
                    + (options.isEmpty() ? "" : ", " + options) + "}"), FILE);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static int[] ids(BpeModel model, String piece) {
        IntList out = new IntList(4);
        model.tokenize(piece, out);
        return out.toArray();
    }

    @Test
    void appliesMergesLowestRankFirst() {
        assertArrayEquals(new int[] {5}, ids(model(VOCAB, "[\"b c\", \"a bc\", \"a b\"]", ""), "abc"));
        assertArrayEquals(new int[] {3, 2}, ids(model(VOCAB, "[\"a b\", \"b c\", \"a bc\"]", ""), "abc"));
    }

    @Test
    void mergesAsStringsOrPairsAreTheSame() {
        BpeModel strings = model(VOCAB, "[\"b c\", \"a bc\"]", "");
        BpeModel pairs = model(VOCAB, "[[\"b\", \"c\"], [\"a\", \"bc\"]]", "");
        assertArrayEquals(ids(strings, "abcabc"), ids(pairs, "abcabc"));
        assertArrayEquals(new int[] {5, 5}, ids(pairs, "abcabc"));
    }

    @Test
    void equalRanksMergeLeftmostFirst() {
        assertArrayEquals(new int[] {6, 0}, ids(model(VOCAB, "[\"a a\"]", ""), "aaa"));
        assertArrayEquals(new int[] {6, 6}, ids(model(VOCAB, "[\"a a\"]", ""), "aaaa"));
    }

    @Test
    void ignoreMergesTakesWholeVocabularyWords() {
        assertArrayEquals(new int[] {0, 1, 2}, ids(model(VOCAB, "[]", "\"ignore_merges\": false"), "abc"));
        assertArrayEquals(new int[] {5}, ids(model(VOCAB, "[]", "\"ignore_merges\": true"), "abc"));
    }

    @Test
    void unknownCharactersBecomeUnkFusedOrNotOrAreDropped() {
        assertArrayEquals(new int[] {0, 7, 7, 1}, ids(model(VOCAB, "[]", "\"unk_token\": \"<unk>\""), "axyb"));
        assertArrayEquals(new int[] {0, 7, 1}, ids(model(VOCAB, "[]", "\"unk_token\": \"<unk>\", \"fuse_unk\": true"), "axyb"));
        assertArrayEquals(new int[] {0, 1}, ids(model(VOCAB, "[]", ""), "axyb"), "no unk_token: dropped, as HF does");
    }

    @Test
    void byteFallbackSpellsUnknownCharactersInBytes() {
        String vocab = "{\"a\": 0, \"<0xC3>\": 1, \"<0xA9>\": 2, \"<unk>\": 3}";
        BpeModel model = model(vocab, "[]", "\"byte_fallback\": true, \"unk_token\": \"<unk>\"");
        assertArrayEquals(new int[] {0, 1, 2, 0}, ids(model, "aéa"));
        assertArrayEquals(new int[] {3}, ids(model, "€"), "bytes missing from the vocab fall back to unk");
        assertEquals("<0x0A>", BpeModel.byteToken(10));
    }

    @Test
    void subwordPrefixAndWordSuffix() {
        BpeModel prefixed = model("{\"a\": 0, \"##b\": 1, \"##c\": 2, \"##bc\": 3, \"abc\": 4}", "[\"##b ##c\", \"a ##bc\"]",
                "\"continuing_subword_prefix\": \"##\"");
        assertArrayEquals(new int[] {4}, ids(prefixed, "abc"));
        BpeModel suffixed = model("{\"a\": 0, \"b</w>\": 1, \"ab</w>\": 2}", "[\"a b</w>\"]", "\"end_of_word_suffix\": \"</w>\"");
        assertArrayEquals(new int[] {2}, ids(suffixed, "ab"));
    }

    @Test
    void longWordsMergeCompletely() {
        BpeModel model = model(VOCAB, "[\"a a\"]", "");
        int[] ids = ids(model, "a".repeat(1001));
        assertEquals(501, ids.length);
        assertEquals(0, ids[500]);
    }

    @Test
    void malformedModels() {
        assertEquals("t/tokenizer.json: BPE model: merge [\"a\",\"zz\"] uses 'zz', which is not in the vocab",
                assertThrows(TokenizerException.class, () -> model(VOCAB, "[[\"a\", \"zz\"]]", "")).getMessage());
        assertEquals("t/tokenizer.json: BPE model: merge 'a b c' is not two tokens separated by a space",
                assertThrows(TokenizerException.class, () -> model(VOCAB, "[\"a b c\"]", "")).getMessage());
        assertEquals("t/tokenizer.json: BPE model: unk_token '<oov>' is not in the vocab",
                assertThrows(TokenizerException.class, () -> model(VOCAB, "[]", "\"unk_token\": \"<oov>\"")).getMessage());
        assertEquals("t/tokenizer.json: unsupported model type 'WordPiece'", assertThrows(TokenizerException.class,
                () -> BpeModel.parse(JSON.readTree("{\"type\": \"WordPiece\"}"), FILE)).getMessage());
    }

    /** Ids run 0..n-1, each once: a gap, a repeat or a huge id is refused before any array is sized by it. */
    @Test
    void vocabIdsRunFromZeroWithoutGapsOrRepeats() {
        assertEquals("t/tokenizer.json: BPE model: vocab entries 'a' and 'b' have the same id 0",
                assertThrows(TokenizerException.class, () -> model("{\"a\": 0, \"b\": 0}", "[]", "")).getMessage());
        assertEquals("t/tokenizer.json: BPE model: vocab entry 'b' has id 2, but the 2 entries must have the ids 0..1"
                + " (a gap or a duplicate id)",
                assertThrows(TokenizerException.class, () -> model("{\"a\": 0, \"b\": 2}", "[]", "")).getMessage());
        assertEquals("t/tokenizer.json: BPE model: vocab entry 'b' has id 2147483647, but the 2 entries must have the"
                + " ids 0..1 (a gap or a duplicate id)", assertThrows(TokenizerException.class,
                        () -> model("{\"a\": 0, \"b\": 2147483647}", "[]", "")).getMessage());
        for (String id : new String[] {"-1", "1.5", "\"1\"", "2147483648", "null"}) {
            assertEquals("t/tokenizer.json: BPE model: vocab entry 'b' has no valid id: " + id,
                    assertThrows(TokenizerException.class, () -> model("{\"a\": 0, \"b\": " + id + "}", "[]", ""))
                            .getMessage());
        }
    }

    @Test
    void byteFallbackWithoutByteTokensNeedsAnUnkToken() {
        assertEquals("t/tokenizer.json: BPE model: byte_fallback is on but the vocab has no byte token '<0x00>' and no"
                + " unk_token to stand in for it", assertThrows(TokenizerException.class,
                        () -> model("{\"a\": 0}", "[]", "\"byte_fallback\": true")).getMessage());
    }
}
