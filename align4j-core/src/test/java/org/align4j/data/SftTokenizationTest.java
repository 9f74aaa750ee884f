package org.align4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.align4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** SFT tokenization (TRL's rules), collation into padded batches with targets, and packing. */
class SftTokenizationTest {
    static Tokenizer embedded;
    static Tokenizer qwen3;

    @BeforeAll
    static void load() throws URISyntaxException {
        embedded = Tokenizer.load(Path.of(SftTokenizationTest.class.getResource("/embedded/tokenizer").toURI()));
        qwen3 = Tokenizer.load(Path.of(SftTokenizationTest.class.getResource("/fixtures/tokenizers/qwen3").toURI()));
    }

    @Test
    void plainTextGetsEosAndFullLoss() {
        TokenizedSequence s = new SftTokenization(embedded, true).tokenize(
                new Example.LanguageModeling("t:1", new Text.Plain("The sky is blue.")));
        int eos = embedded.eosTokenId().orElseThrow();
        assertEquals(eos, s.ids()[s.length() - 1]);
        assertArrayEquals(embedded.encode("The sky is blue.<|endoftext|>", true), s.ids());
        for (boolean m : s.lossMask()) {
            assertTrue(m);
        }
    }

    @Test
    void promptCompletionPutsOnlyTheCompletionInTheLoss() {
        Example.PromptCompletion pc = new Example.PromptCompletion("t:2", new Text.Plain("The sky is"),
                new Text.Plain(" blue."));
        TokenizedSequence s = new SftTokenization(embedded, true).tokenize(pc);
        int promptLength = embedded.encode("The sky is", true).length;
        for (int t = 0; t < s.length(); t++) {
            assertEquals(t >= promptLength, s.lossMask()[t], "token " + t);
        }
        TokenizedSequence all = new SftTokenization(embedded, false).tokenize(pc);
        assertEquals(s.length() - 1, all.targetCount(), "completion_only_loss false trains every token");
    }

    @Test
    void conversationalPromptCompletionUsesTheChatTemplate() {
        Example.PromptCompletion pc = new Example.PromptCompletion("t:3",
                new Text.Conversation(List.of(new Message("user", "What color is the sky?"))),
                new Text.Conversation(List.of(new Message("assistant", "Blue."))));
        SftTokenization sft = new SftTokenization(qwen3, true);
        TokenizedSequence s = sft.tokenize(pc);
        String prompt = sft.render(List.of(new Message("user", "What color is the sky?")), true, "t:3");
        assertTrue(prompt.endsWith("<|im_start|>assistant\n"), prompt);
        int promptLength = qwen3.encode(prompt, false).length;
        assertFalse(s.lossMask()[promptLength - 1]);
        assertTrue(s.lossMask()[promptLength]);
        assertTrue(qwen3.decode(java.util.Arrays.copyOfRange(s.ids(), promptLength, s.length()), false)
                .contains("Blue."));
        DataException e = assertThrows(DataException.class, () -> new SftTokenization(embedded, true).tokenize(pc));
        assertEquals("t:3: conversational example, but the tokenizer has no chat_template", e.getMessage());
    }

    @Test
    void batchesArePaddedWithTargetsShifted() {
        TokenizedSequence a = new TokenizedSequence(new int[] {5, 6, 7, 8}, new boolean[] {false, false, true, true}, "a");
        TokenizedSequence b = new TokenizedSequence(new int[] {9, 10}, new boolean[] {true, true}, "b");
        SequenceBatch batch = SequenceBatch.of(List.of(a, b), 0);
        assertEquals(4, batch.input().seq());
        assertArrayEquals(new int[] {5, 6, 7, 8, 9, 10, 0, 0}, batch.input().inputIds());
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 0, 0}, batch.input().attentionMask());
        assertArrayEquals(new int[] {-1, 7, 8, -1, 10, -1, -1, -1}, batch.targets());
        assertEquals(6, batch.tokens());
        assertEquals(3, batch.targetCount());
    }

    @Test
    void packingConcatenatesIntoFullRows() {
        TokenizedSequence a = new TokenizedSequence(new int[] {1, 2, 3}, new boolean[] {true, true, true}, "a");
        TokenizedSequence b = new TokenizedSequence(new int[] {4, 5, 6, 7}, new boolean[] {false, true, true, true}, "b");
        List<TokenizedSequence> rows = SftTokenization.pack(List.of(a, b), 3);
        assertEquals(3, rows.size());
        assertArrayEquals(new int[] {4, 5, 6}, rows.get(1).ids());
        assertArrayEquals(new boolean[] {false, true, true}, rows.get(1).lossMask());
        assertArrayEquals(new int[] {7}, rows.get(2).ids());
        assertEquals(2, a.truncate(2).length());
    }

    /** assistant_only_loss: only the tokens of the template's generation blocks are in the loss, as transformers masks. */
    @Test
    void assistantOnlyLossKeepsTheGenerationBlocks() {
        Tokenizer templated = embedded.withChatTemplate("{% for m in messages %}{% if m.role == 'assistant' %}"
                + "{% generation %}{{ m.content }}{{ eos_token }}{% endgeneration %}{% else %}{{ m.role }}: "
                + "{{ m.content }}\n{% endif %}{% endfor %}");
        List<Message> chat = List.of(new Message("user", "Hello"), new Message("assistant", "Hi there"),
                new Message("user", "Bye"), new Message("assistant", "Farewell"));
        Example.LanguageModeling example = new Example.LanguageModeling("c:1", new Text.Conversation(chat));
        TokenizedSequence s = new SftTokenization(templated, true, true).tokenize(example);
        String text = "user: Hello\nHi there<|endoftext|>user: Bye\nFarewell<|endoftext|>";
        assertArrayEquals(embedded.encode(text, false), s.ids(), "the markers leave the text as rendered");
        int firstStart = embedded.encode("user: Hello\n", false).length;
        int firstEnd = embedded.encode("user: Hello\nHi there<|endoftext|>", false).length;
        int secondStart = embedded.encode("user: Hello\nHi there<|endoftext|>user: Bye\n", false).length;
        for (int t = 0; t < s.length(); t++) {
            boolean assistant = t >= firstStart && t < firstEnd || t >= secondStart;
            assertEquals(assistant, s.lossMask()[t], "token " + t);
        }
        assertEquals(text, templated.chatTemplate().orElseThrow().render(List.of(
                Map.of("role", "user", "content", "Hello"), Map.of("role", "assistant", "content", "Hi there"),
                Map.of("role", "user", "content", "Bye"), Map.of("role", "assistant", "content", "Farewell")),
                false, Map.of()), "a plain rendering has no markers");
        Tokenizer plain = embedded.withChatTemplate("{% for m in messages %}{{ m.content }}{% endfor %}");
        DataException e = assertThrows(DataException.class,
                () -> new SftTokenization(plain, true, true).tokenize(example));
        assertTrue(e.getMessage().contains("the chat template marks no assistant tokens"), e.getMessage());
    }
}
