package org.align4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.align4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** TRL's preference preprocessing: implicit prompts, EOS, chat templates, truncation and dropped examples. */
class PreferenceTokenizationTest {
    static Tokenizer embedded;
    static Tokenizer qwen3;

    @BeforeAll
    static void load() throws URISyntaxException {
        embedded = Tokenizer.load(Path.of(PreferenceTokenizationTest.class.getResource("/embedded/tokenizer").toURI()));
        qwen3 = Tokenizer.load(Path.of(PreferenceTokenizationTest.class.getResource("/fixtures/tokenizers/qwen3")
                .toURI()));
    }

    private static Example.Preference implicit(String chosen, String rejected) {
        return new Example.Preference("t:1", null, new Text.Plain(chosen), new Text.Plain(rejected));
    }

    private static String text(Text t) {
        return ((Text.Plain) t).text();
    }

    @Test
    void implicitPromptIsTheLongestCommonPrefixWithTheSpaceMovedToTheCompletions() {
        Example.Preference p = PreferenceTokenization.withExplicitPrompt(implicit("The sky is blue.",
                "The sky is green."));
        assertEquals("The sky is", text(p.prompt()));
        assertEquals(" blue.", text(p.chosen()));
        assertEquals(" green.", text(p.rejected()));

        Example.Preference noSpace = PreferenceTokenization.withExplicitPrompt(implicit("ab1", "ab2"));
        assertEquals("ab", text(noSpace.prompt()));
        assertEquals("1", text(noSpace.chosen()));
    }

    @Test
    void implicitPromptKeepsTrlsLoopQuirks() {
        Example.Preference prefix = PreferenceTokenization.withExplicitPrompt(implicit("abc", "abcd"));
        assertEquals("ab", text(prefix.prompt()), "no difference within the shorter side: stop one short of it");
        assertEquals("c", text(prefix.chosen()));
        assertEquals("cd", text(prefix.rejected()));
        Example.Preference first = PreferenceTokenization.withExplicitPrompt(implicit("x y ", "z"));
        assertEquals("", text(first.prompt()));
        assertEquals("x y ", text(first.chosen()));
        Example.Preference surrogate = PreferenceTokenization.withExplicitPrompt(implicit("é😀a", "é😀b"));
        assertEquals("é😀", text(surrogate.prompt()), "code points, not UTF-16 units");
    }

    @Test
    void implicitConversationalPromptIsTheSharedMessages() {
        Message user = new Message("user", "What color is the sky?");
        Example.Preference p = PreferenceTokenization.withExplicitPrompt(new Example.Preference("t:2", null,
                new Text.Conversation(List.of(user, new Message("assistant", "Blue."))),
                new Text.Conversation(List.of(user, new Message("assistant", "Green.")))));
        assertEquals(List.of(user), ((Text.Conversation) p.prompt()).messages());
        assertEquals(List.of(new Message("assistant", "Blue.")), ((Text.Conversation) p.chosen()).messages());
        Example.Preference explicit = new Example.Preference("t:3", new Text.Plain("p"), new Text.Plain("a"),
                new Text.Plain("b"));
        assertSame(explicit, PreferenceTokenization.withExplicitPrompt(explicit));
        assertThrows(DataException.class, () -> PreferenceTokenization.withExplicitPrompt(implicit("", "x")));
    }

    @Test
    void standardExamplesGetEosAndACompletionMask() {
        PreferencePair pair = new PreferenceTokenization(embedded, null, TruncationMode.KEEP_START).tokenize(
                new Example.Preference("t:4", new Text.Plain("The sky is"), new Text.Plain(" blue."),
                        new Text.Plain(" green.")));
        int[] prompt = embedded.encode("The sky is", true);
        assertArrayEquals(embedded.encode("The sky is blue.<|endoftext|>", true), pair.chosen().ids());
        assertArrayEquals(embedded.encode("The sky is green.<|endoftext|>", true), pair.rejected().ids());
        for (TokenizedSequence s : List.of(pair.chosen(), pair.rejected())) {
            assertEquals(embedded.eosTokenId().orElseThrow(), s.ids()[s.length() - 1]);
            for (int t = 0; t < s.length(); t++) {
                assertEquals(t >= prompt.length, s.lossMask()[t], "token " + t);
            }
        }
    }

    /** A side with no token a causal LM can score is refused, not scored as log-probability 0. */
    @Test
    void aCompletionWithNothingToScoreIsRefused() {
        PreferenceTokenization tokenization = new PreferenceTokenization(embedded, null, TruncationMode.KEEP_START);
        DataException e = org.junit.jupiter.api.Assertions.assertThrows(DataException.class, () ->
                tokenization.tokenize(new Example.Preference("t:9", new Text.Plain(""), new Text.Plain(""),
                        new Text.Plain(" green."))));
        assertEquals("t:9: the chosen completion has no token to score (an empty text, a tokenizer that does not"
                + " cover it, or an empty prompt before a one-token completion)", e.getMessage());
    }

    @Test
    void conversationalExamplesUseTheChatTemplateWithoutExtraEos() {
        Example.Preference example = new Example.Preference("t:5",
                new Text.Conversation(List.of(new Message("user", "What color is the sky?"))),
                new Text.Conversation(List.of(new Message("assistant", "Blue."))),
                new Text.Conversation(List.of(new Message("assistant", "Green."))));
        PreferencePair pair = new PreferenceTokenization(qwen3, 1024, TruncationMode.KEEP_START).tokenize(example);
        SftTokenization renderer = new SftTokenization(qwen3, true);
        int[] prompt = qwen3.encode(renderer.render(List.of(new Message("user", "What color is the sky?")), true,
                "t:5"), false);
        int[] full = qwen3.encode(renderer.render(List.of(new Message("user", "What color is the sky?"),
                new Message("assistant", "Blue.")), false, "t:5"), false);
        assertArrayEquals(full, pair.chosen().ids());
        assertEquals(full.length - prompt.length, pair.chosen().targetCount());
        assertTrue(!pair.chosen().lossMask()[prompt.length - 1] && pair.chosen().lossMask()[prompt.length]);
    }

    @Test
    void preTokenizedExamplesAreUsedAsTheyAre() {
        Example.TokenizedPreference t = new Example.TokenizedPreference("t:6", new int[] {1, 2, 3}, new int[] {4, 5},
                new int[] {6});
        PreferencePair pair = new PreferenceTokenization(null, null, TruncationMode.KEEP_START).tokenize(t);
        assertArrayEquals(new int[] {1, 2, 3, 4, 5}, pair.chosen().ids());
        assertArrayEquals(new boolean[] {false, false, false, true, true}, pair.chosen().lossMask());
        assertArrayEquals(new int[] {1, 2, 3, 6}, pair.rejected().ids());
    }

    @Test
    void truncationKeepsTheStartOrTheEndOfEachSequence() {
        Example.TokenizedPreference t = new Example.TokenizedPreference("t:7", new int[] {1, 2, 3},
                new int[] {4, 5, 6, 7}, new int[] {8});
        PreferencePair start = new PreferenceTokenization(null, 5, TruncationMode.KEEP_START).tokenize(t);
        assertArrayEquals(new int[] {1, 2, 3, 4, 5}, start.chosen().ids());
        assertArrayEquals(new boolean[] {false, false, false, true, true}, start.chosen().lossMask());
        assertArrayEquals(new int[] {1, 2, 3, 8}, start.rejected().ids(), "short sequences are kept whole");
        PreferencePair end = new PreferenceTokenization(null, 5, TruncationMode.KEEP_END).tokenize(t);
        assertArrayEquals(new int[] {3, 4, 5, 6, 7}, end.chosen().ids());
        assertArrayEquals(new boolean[] {false, true, true, true, true}, end.chosen().lossMask());
    }

    @Test
    void examplesWhosePromptFillsMaxLengthAreDroppedAndCountedUnderKeepStart() {
        List<Example> examples = List.of(
                new Example.TokenizedPreference("t:1", new int[] {1, 2}, new int[] {3}, new int[] {4}),
                new Example.TokenizedPreference("t:2", new int[] {1, 2, 3, 4}, new int[] {5}, new int[] {6}),
                new Example.TokenizedPreference("t:3", new int[] {1, 2, 3, 4, 5}, new int[] {6}, new int[] {7}),
                new Example.TokenizedPreference("t:4", new int[] {1, 2, 3}, new int[] {4}, new int[] {5}));
        PreferenceTokenization.Result kept = new PreferenceTokenization(null, 4, TruncationMode.KEEP_START)
                .tokenizeAll(examples);
        assertEquals(2, kept.dropped());
        assertEquals(List.of("t:1", "t:4"), kept.pairs().stream().map(PreferencePair::source).toList());
        assertEquals(1, kept.warnings(examples.size(), 4).size());
        assertTrue(kept.warnings(examples.size(), 4).get(0).startsWith("dropped 2 of 4 examples"),
                kept.warnings(examples.size(), 4).toString());
        PreferenceTokenization.Result end = new PreferenceTokenization(null, 4, TruncationMode.KEEP_END)
                .tokenizeAll(examples);
        assertEquals(0, end.dropped(), "keep_end keeps the completion");
        assertEquals(4, end.pairs().size());
        assertTrue(Arrays.equals(new int[] {3, 4, 5, 6}, end.pairs().get(2).chosen().ids()));
    }

    @Test
    void badExamplesNameTheirSource() {
        PreferenceTokenization t = new PreferenceTokenization(embedded, 16, TruncationMode.KEEP_START);
        DataException mixed = assertThrows(DataException.class, () -> t.tokenize(new Example.Preference("f.jsonl:3",
                new Text.Plain("p"), new Text.Conversation(List.of(new Message("assistant", "a"))),
                new Text.Plain("b"))));
        assertTrue(mixed.getMessage().startsWith("f.jsonl:3: "), mixed.getMessage());
        DataException sft = assertThrows(DataException.class, () -> t.tokenize(new Example.LanguageModeling(
                "f.jsonl:4", new Text.Plain("x"))));
        assertTrue(sft.getMessage().startsWith("f.jsonl:4: DPO needs preference examples"), sft.getMessage());
        DataException noTokenizer = assertThrows(DataException.class, () -> new PreferenceTokenization(null, 16,
                TruncationMode.KEEP_START).tokenize(implicit("a b", "a c")));
        assertTrue(noTokenizer.getMessage().contains("need a tokenizer"), noTokenizer.getMessage());
    }
}
