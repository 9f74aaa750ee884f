package org.align4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.align4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Preference pairs as TRL's reward trainer tokenizes them, and as prompt-completion SFT pairs. */
class RewardTokenizationTest {
    static Tokenizer embedded;
    static Tokenizer qwen3;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws URISyntaxException {
        embedded = Tokenizer.load(Path.of(RewardTokenizationTest.class.getResource("/embedded/tokenizer").toURI()));
        qwen3 = Tokenizer.load(Path.of(RewardTokenizationTest.class.getResource("/fixtures/tokenizers/qwen3").toURI()));
    }

    private static RewardTokenization pairs(Tokenizer tokenizer) {
        return new RewardTokenization(new SftTokenization(tokenizer, true));
    }

    private static void assertAllTrue(boolean[] mask) {
        for (boolean m : mask) {
            assertTrue(m);
        }
    }

    @Test
    void rewardSequencesArePromptPlusResponseWithEos() {
        PreferencePair explicit = pairs(embedded).wholeTexts(new Example.Preference("t:1", new Text.Plain("The sky is"),
                new Text.Plain(" blue."), new Text.Plain(" green."), 0.5));
        assertArrayEquals(embedded.encode("The sky is blue.<|endoftext|>", true), explicit.chosen().ids());
        assertArrayEquals(embedded.encode("The sky is green.<|endoftext|>", true), explicit.rejected().ids());
        assertAllTrue(explicit.chosen().lossMask());
        assertEquals(0.5, explicit.margin());

        PreferencePair implicit = pairs(embedded).wholeTexts(new Example.Preference("t:2", null,
                new Text.Plain("The sky is blue."), new Text.Plain("The sky is green.<|endoftext|>")));
        assertArrayEquals(explicit.chosen().ids(), implicit.chosen().ids());
        assertArrayEquals(explicit.rejected().ids(), implicit.rejected().ids(), "no second EOS");
        assertEquals(0, implicit.margin());
    }

    @Test
    void conversationalPairsRenderPromptAndResponseAsOneConversation() {
        List<Message> prompt = List.of(new Message("user", "What color is the sky?"));
        List<Message> chosen = List.of(new Message("assistant", "Blue."));
        PreferencePair pair = pairs(qwen3).wholeTexts(new Example.Preference("t:3", new Text.Conversation(prompt),
                new Text.Conversation(chosen), new Text.Conversation(List.of(new Message("assistant", "Green.")))));
        SftTokenization sft = new SftTokenization(qwen3, true);
        String text = sft.render(List.of(prompt.getFirst(), chosen.getFirst()), false, "t:3");
        assertArrayEquals(qwen3.encode(text, false), pair.chosen().ids());

        DataException mixed = assertThrows(DataException.class, () -> pairs(qwen3).wholeTexts(new Example.Preference(
                "t:4", new Text.Plain("p"), new Text.Conversation(chosen), new Text.Plain("x"))));
        assertEquals("t:4: prompt and responses must all be strings or all message lists", mixed.getMessage());
    }

    @Test
    void completionsKeepThePromptOutOfTheLoss() {
        Example.Preference p = new Example.Preference("t:5", new Text.Plain("The sky is"), new Text.Plain(" blue."),
                new Text.Plain(" green."));
        PreferencePair pair = pairs(embedded).completions(p);
        SftTokenization sft = new SftTokenization(embedded, true);
        TokenizedSequence chosen = sft.tokenize(new Example.PromptCompletion("t:5", p.prompt(), p.chosen()));
        TokenizedSequence rejected = sft.tokenize(new Example.PromptCompletion("t:5", p.prompt(), p.rejected()));
        assertArrayEquals(chosen.ids(), pair.chosen().ids());
        assertArrayEquals(chosen.lossMask(), pair.chosen().lossMask());
        assertArrayEquals(rejected.lossMask(), pair.rejected().lossMask());
        assertEquals(new Example.LanguageModeling("t:6", new Text.Plain("all of it")),
                RewardTokenization.chosenExample(new Example.Preference("t:6", null, new Text.Plain("all of it"),
                        new Text.Plain("other"))));
    }

    @Test
    void preTokenizedPairsAreConcatenated() {
        Example.TokenizedPreference t = new Example.TokenizedPreference("t:7", new int[] {1, 2}, new int[] {3},
                new int[] {4, 5});
        PreferencePair whole = pairs(embedded).wholeTexts(t);
        assertArrayEquals(new int[] {1, 2, 4, 5}, whole.rejected().ids());
        assertAllTrue(whole.rejected().lossMask());
        assertArrayEquals(new boolean[] {false, false, true, true},
                pairs(embedded).completions(t).rejected().lossMask());
    }

    @Test
    void singleTextsAreScoredAsTheirPairsWouldBe() {
        RewardTokenization pairs = pairs(embedded);
        TokenizedSequence pc = pairs.wholeText(new Example.PromptCompletion("t:8", new Text.Plain("The sky is"),
                new Text.Plain(" blue.")));
        TokenizedSequence text = pairs.wholeText(new Example.LanguageModeling("t:9",
                new Text.Plain("The sky is blue.")));
        assertArrayEquals(embedded.encode("The sky is blue.<|endoftext|>", true), pc.ids());
        assertArrayEquals(pc.ids(), text.ids());
        assertThrows(DataException.class, () -> pairs.wholeText(new Example.PromptOnly("t:10", new Text.Plain("p"))));
        assertThrows(DataException.class, () -> pairs.wholeTexts(new Example.PromptOnly("t:11", new Text.Plain("p"))));
    }

    @Test
    void pairsLongerThanMaxLengthAreDroppedAndCounted() {
        TokenizedSequence three = new TokenizedSequence(new int[3], new boolean[3], "s");
        TokenizedSequence five = new TokenizedSequence(new int[5], new boolean[5], "s");
        List<PreferencePair> all = List.of(new PreferencePair("a", three, three, 0), new PreferencePair("b", three, five, 0),
                new PreferencePair("c", five, three, 0));
        RewardTokenization.Filtered f = RewardTokenization.withinMaxLength(all, 4);
        assertEquals(List.of("a"), f.kept().stream().map(PreferencePair::source).toList());
        assertEquals(2, f.dropped());
        assertEquals(3, RewardTokenization.withinMaxLength(all, 5).kept().size());
        assertEquals(3, RewardTokenization.withinMaxLength(all, null).kept().size());
    }

    @Test
    void theMarginFieldIsReadAndChecked() throws IOException {
        Path f = tmp.resolve("pairs.jsonl");
        Files.write(f, List.of("{\"chosen\": \"a\", \"rejected\": \"b\", \"margin\": 1.5}",
                "{\"chosen\": \"a\", \"rejected\": \"b\"}"));
        List<Example> ex = JsonlDataset.read(f);
        assertEquals(1.5, ((Example.Preference) ex.get(0)).margin());
        assertEquals(null, ((Example.Preference) ex.get(1)).margin());
        Files.write(f, List.of("{\"chosen\": \"a\", \"rejected\": \"b\", \"margin\": \"big\"}"));
        assertEquals("pairs.jsonl:1: field 'margin' must be a finite number, got \"big\"",
                assertThrows(DataException.class, () -> JsonlDataset.read(f)).getMessage());
    }
}
