package org.align4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline wiring on small synthetic tokenizers: added tokens, post-processors, config, vocabulary queries. */
class TokenizerTest {
    @TempDir
    Path dir;

    private static final String THE = "the";

    private static String added(int id, String content, String flags) {
        return "{\"id\": " + id + ", \"content\": \"" + content + "\", " + flags + "}";
    }

    private Tokenizer withAddedTokens(String... tokens) {
        return TokenizerDirectory.byteLevel().set("added_tokens", "[" + String.join(",", tokens) + "]").load(dir);
    }

    /** TRL's padding rule: the pad_token option, else the tokenizer's pad token, else its eos token. */
    @Test
    void paddingIdIsThePadTokenOptionThenPadThenEos() {
        Tokenizer none = TokenizerDirectory.byteLevel().load(dir.resolve("none"));
        int a = none.tokenId("a").getAsInt();
        int b = none.tokenId("b").getAsInt();
        assertTrue(assertThrows(TokenizerException.class, () -> none.paddingId(null)).getMessage()
                .contains("neither a pad token nor an eos token"));
        assertEquals(a, none.paddingId("a"));
        assertTrue(assertThrows(TokenizerException.class, () -> none.paddingId("<nope>")).getMessage()
                .contains("pad_token '<nope>' is not in the tokenizer's vocabulary"));
        Tokenizer eosOnly = TokenizerDirectory.byteLevel().config("{\"eos_token\": \"a\"}").load(dir.resolve("eos"));
        assertEquals(a, eosOnly.paddingId(null));
        Tokenizer both = TokenizerDirectory.byteLevel().config("{\"eos_token\": \"a\", \"pad_token\": \"b\"}")
                .load(dir.resolve("pad"));
        assertEquals(b, both.paddingId(null));
        assertEquals(a, both.paddingId("a"));
    }

    @Test
    void encodesWithMergesAndDecodesBack() {
        Tokenizer tokenizer = TokenizerDirectory.byteLevel().load(dir);
        assertArrayEquals(new int[] {'a', 258, 258, 'x'}, tokenizer.encode("a the thex", false));
        assertEquals("a the thex", tokenizer.decode(tokenizer.encode("a the thex", false), false));
        assertEquals(259, tokenizer.vocabSize());
        assertEquals(OptionalInt.of(258), tokenizer.tokenId("Ġthe"));
        assertEquals("Ġthe", tokenizer.token(258));
        assertEquals(OptionalInt.empty(), tokenizer.tokenId(THE));
        assertThrows(IllegalArgumentException.class, () -> tokenizer.token(259));
        assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(new int[] {-100}, false));
    }

    @Test
    void addedTokensAreCutOutBeforeThePipeline() {
        Tokenizer tokenizer = withAddedTokens(added(259, "<|end|>", "\"special\": true, \"normalized\": false"),
                added(260, "<|end|>x", "\"special\": false, \"normalized\": false"));
        assertArrayEquals(new int[] {'a', 259, 258}, tokenizer.encode("a<|end|> the", false));
        assertArrayEquals(new int[] {260, 'y'}, tokenizer.encode("<|end|>xy", false), "the longest token wins");
        assertEquals("a<|end|> the", tokenizer.decode(new int[] {'a', 259, 258}, false));
        assertEquals("a the", tokenizer.decode(new int[] {'a', 259, 258}, true));
        assertEquals("<|end|>x", tokenizer.decode(new int[] {260}, true), "non-special added tokens are kept");
        assertArrayEquals(new int[] {259}, tokenizer.specialIds());
        assertEquals(261, tokenizer.vocabSize(), "259 vocabulary ids and 2 added ids");
    }

    @Test
    void lstripAndRstripSwallowSurroundingSpaces() {
        Tokenizer tokenizer = withAddedTokens(added(259, "<mask>", "\"lstrip\": true, \"rstrip\": false, \"normalized\": false"),
                added(260, "<sep>", "\"lstrip\": false, \"rstrip\": true, \"normalized\": false"));
        assertArrayEquals(new int[] {'a', 259, 258}, tokenizer.encode("a  <mask> the", false));
        assertArrayEquals(new int[] {'a', ' ', 260, 't', 257}, tokenizer.encode("a <sep>  the", false));
    }

    @Test
    void singleWordTokensMatchOnlyWholeWords() {
        Tokenizer tokenizer = withAddedTokens(added(259, "ab", "\"single_word\": true, \"normalized\": false"));
        assertArrayEquals(new int[] {259, ' ', 259}, tokenizer.encode("ab ab", false));
        assertArrayEquals(new int[] {'x', 'a', 'b'}, tokenizer.encode("xab", false));
        assertArrayEquals(new int[] {'a', 'b', '_'}, tokenizer.encode("ab_", false), "_ is a word character");
        assertArrayEquals(new int[] {259, '!'}, tokenizer.encode("ab!", false));
    }

    @Test
    void normalizedTokensMatchTheNormalizedText() {
        Tokenizer tokenizer = TokenizerDirectory.byteLevel()
                .set("normalizer", "{\"type\": \"Lowercase\"}")
                .set("added_tokens", "[" + added(259, "<B>", "\"normalized\": true") + ","
                        + added(260, "<RAW>", "\"normalized\": false") + "]")
                .load(dir);
        assertArrayEquals(new int[] {259, 259}, tokenizer.encode("<b><B>", false), "content and text are both lowercased");
        assertArrayEquals(new int[] {260, '<', 'r', 'a', 'w', '>'}, tokenizer.encode("<RAW><raw>", false));
    }

    @Test
    void templateProcessingAddsSpecialTokensForSinglesAndPairs() {
        Tokenizer tokenizer = TokenizerDirectory.byteLevel()
                .set("added_tokens", "[" + added(259, "<s>", "\"special\": true") + "," + added(260, "</s>", "\"special\": true") + "]")
                .set("post_processor", """
                        {"type": "Sequence", "processors": [
                          {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false},
                          {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {"<s>": {"id": "<s>", "ids": [259], "tokens": ["<s>"]},
                                              "</s>": {"id": "</s>", "ids": [260], "tokens": ["</s>"]}}}]}""")
                .load(dir);
        assertArrayEquals(new int[] {259, 'a'}, tokenizer.encode("a", true));
        assertArrayEquals(new int[] {'a'}, tokenizer.encode("a", false));
        assertArrayEquals(new int[] {259, 'a', 260, 'b'}, tokenizer.encodePair("a", "b", true));
        assertArrayEquals(new int[] {'a', 'b'}, tokenizer.encodePair("a", "b", false));
    }

    @Test
    void bertAndRobertaProcessing() {
        String bert = "{\"type\": \"BertProcessing\", \"sep\": [\"[SEP]\", 2], \"cls\": [\"[CLS]\", 1]}";
        Tokenizer bertTokenizer = TokenizerDirectory.byteLevel().set("post_processor", bert).load(dir.resolve("bert"));
        assertArrayEquals(new int[] {1, 'a', 2}, bertTokenizer.encode("a", true));
        assertArrayEquals(new int[] {1, 'a', 2, 'b', 2}, bertTokenizer.encodePair("a", "b", true));
        String roberta = "{\"type\": \"RobertaProcessing\", \"sep\": [\"</s>\", 2], \"cls\": [\"<s>\", 0]}";
        Tokenizer robertaTokenizer = TokenizerDirectory.byteLevel().set("post_processor", roberta).load(dir.resolve("roberta"));
        assertArrayEquals(new int[] {0, 'a', 2, 2, 'b', 2}, robertaTokenizer.encodePair("a", "b", true));
    }

    @Test
    void specialTokensComeFromTheConfigAsStringsOrObjects() {
        Tokenizer tokenizer = TokenizerDirectory.byteLevel()
                .set("added_tokens", "[" + added(259, "<|eot|>", "\"special\": true") + "]")
                .config("""
                        {"bos_token": {"__type": "AddedToken", "content": "a", "lstrip": false},
                         "eos_token": "<|eot|>", "pad_token": null, "extra_special_tokens": ["b"],
                         "clean_up_tokenization_spaces": true,
                         "chat_template": [{"name": "tool_use", "template": "tools"},
                                           {"name": "default", "template": "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}"}]}""")
                .load(dir);
        assertEquals(Optional.of("a"), tokenizer.bosToken());
        assertEquals(OptionalInt.of('a'), tokenizer.bosTokenId());
        assertEquals(Optional.of("<|eot|>"), tokenizer.eosToken());
        assertEquals(OptionalInt.of(259), tokenizer.eosTokenId());
        assertEquals(Optional.empty(), tokenizer.padToken());
        assertEquals(OptionalInt.empty(), tokenizer.padTokenId());
        assertArrayEquals(new int[] {'a', 'b', 259}, tokenizer.specialIds());
        assertEquals("xhe", tokenizer.decode(new int[] {'a', 'x', 257, 259}, true));
        assertEquals("Hi, there.", tokenizer.decode(tokenizer.encode("Hi , there .", false), false),
                "clean_up_tokenization_spaces");
        assertEquals("aHi<|eot|>", tokenizer.chatTemplate().orElseThrow()
                .render(List.of(Map.of("role", "user", "content", "Hi")), false, Map.of()));
    }

    @Test
    void chatTemplateFileWinsOverTheConfig() throws Exception {
        Path written = TokenizerDirectory.byteLevel().config("{\"chat_template\": \"config\"}").write(dir);
        assertEquals("config", Tokenizer.load(written).chatTemplate().orElseThrow().render(List.of(), false, Map.of()));
        java.nio.file.Files.writeString(written.resolve(Tokenizer.CHAT_TEMPLATE_FILE), "file\n");
        assertEquals("file", Tokenizer.load(written).chatTemplate().orElseThrow().render(List.of(), false, Map.of()));
    }

    @Test
    void metaspaceFirstPrependsOnlyAtTheStartOfTheInput() {
        Tokenizer tokenizer = TokenizerDirectory.byteLevel()
                .set("added_tokens", "[" + added(259, "<s>", "\"special\": true") + "]")
                .set("pre_tokenizer", "{\"type\": \"Metaspace\", \"replacement\": \"_\", \"prepend_scheme\": \"first\", \"split\": false}")
                .set("decoder", "{\"type\": \"Metaspace\", \"replacement\": \"_\", \"prepend_scheme\": \"first\"}")
                .load(dir);
        assertArrayEquals(new int[] {'_', 'a', '_', 'b', 259, 'c'}, tokenizer.encode("a b<s>c", false));
        assertArrayEquals(new int[] {259, 'c'}, tokenizer.encode("<s>c", false));
        assertTrue(tokenizer.decode(new int[] {'_', 'a', '_', 'b'}, false).equals("a b"));
    }

    /** Added tokens keep the vocab's id for its own tokens and continue its ids without a gap or repeat. */
    @Test
    void addedTokenIdsAreChecked() {
        String file = dir.resolve("tokenizer.json").toString();
        assertEquals(file + ": added token without a non-negative integer \"id\": {\"id\":-1,\"content\":\"<s>\"}",
                assertThrows(TokenizerException.class, () -> withAddedTokens(added(-1, "<s>", "\"special\": true")))
                        .getMessage().replace(",\"special\":true", ""));
        assertEquals(file + ": added token 'Ġthe' has id 259 but the vocab gives it 258", assertThrows(
                TokenizerException.class, () -> withAddedTokens(added(259, "Ġthe", "\"special\": false"))).getMessage());
        assertEquals(file + ": added token '<s>' has id 257, which is the vocab's 'he'", assertThrows(
                TokenizerException.class, () -> withAddedTokens(added(257, "<s>", "\"special\": true"))).getMessage());
        assertEquals(file + ": added tokens '<s>' and '</s>' have the same id 259", assertThrows(
                TokenizerException.class, () -> withAddedTokens(added(259, "<s>", "\"special\": true"),
                        added(259, "</s>", "\"special\": true"))).getMessage());
        assertEquals(file + ": added token '</s>' has id 261, leaving no token with id 260", assertThrows(
                TokenizerException.class, () -> withAddedTokens(added(259, "<s>", "\"special\": true"),
                        added(261, "</s>", "\"special\": true"))).getMessage());
        assertEquals(file + ": added token '<s>' has id 2147483647, leaving no token with id 259", assertThrows(
                TokenizerException.class, () -> withAddedTokens(added(Integer.MAX_VALUE, "<s>", "\"special\": true")))
                .getMessage());
        assertEquals(260, withAddedTokens(added(258, "Ġthe", "\"special\": false"), added(259, "<s>",
                "\"special\": true")).vocabSize());
    }

    /** A byte-level vocabulary that lacks a byte would drop that byte from every text, unless unk stands in. */
    @Test
    void byteLevelVocabularyHoldsEveryByte() {
        TokenizerException e = assertThrows(TokenizerException.class,
                () -> TokenizerDirectory.byteLevel().renameVocabEntry("\u0100", "xyz").load(dir));
        assertEquals(dir.resolve("tokenizer.json") + ": the ByteLevel pre_tokenizer needs every byte in the vocab, but"
                + " byte 0x00 ('\u0100') is missing and there is no unk_token to stand in for it", e.getMessage());
        Tokenizer withUnk = TokenizerDirectory.byteLevel().renameVocabEntry("\u0100", "<unk>")
                .modelField("unk_token", "\"<unk>\"").load(dir.resolve("unk"));
        assertArrayEquals(new int[] {'a', 0, 'b'}, withUnk.encode("a\u0000b", false));
    }
}
