package org.align4j.align.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.align4j.autograd.Tape;
import org.align4j.data.ConditionedExample;
import org.align4j.data.Example;
import org.align4j.data.Message;
import org.align4j.data.Text;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.CausalLM;
import org.align4j.model.Fixture;
import org.align4j.model.HfModels;
import org.align4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** C-RLFT: condition-prefixed rendering, coarse-reward weights, and the weighted loss Σ w CE / Σ w. */
class CrlftTest {
    static Tokenizer tokenizer;

    @BeforeAll
    static void load() throws URISyntaxException {
        tokenizer = Tokenizer.load(Path.of(CrlftTest.class.getResource("/embedded/tokenizer").toURI()));
    }

    @Test
    void rendersTheConditionIntoTheRolePrefixes() {
        CrlftTokenization t = new CrlftTokenization(tokenizer, CrlftConfig.defaults());
        assertEquals("GPT4 User: Hi<|endoftext|>GPT4 Assistant: ", t.prompt("GPT4", "Hi"));
        TokenizedSequence s = t.tokenize(new ConditionedExample("GPT3", new Example.PromptCompletion("d:1",
                new Text.Plain("Hi"), new Text.Plain("Hello there"))), 0);
        assertEquals(0.1, s.weight());
        String trained = tokenizer.decode(trainedIds(s), false);
        assertEquals("Hello there<|endoftext|>", trained);
        TokenizedSequence conv = t.tokenize(new ConditionedExample("GPT4", new Example.LanguageModeling("d:2",
                new Text.Conversation(List.of(new Message("user", "a"), new Message("assistant", "b"),
                        new Message("user", "c"), new Message("assistant", "d"))))), 0);
        assertEquals("b<|endoftext|>d<|endoftext|>", tokenizer.decode(trainedIds(conv), false));
        assertTrue(tokenizer.decode(conv.ids(), false).startsWith("GPT4 User: a<|endoftext|>GPT4 Assistant: b"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.tokenize(
                new ConditionedExample("Claude", new Example.PromptCompletion("d:3", new Text.Plain("x"),
                        new Text.Plain("y"))), 0));
        assertEquals("d:3: condition 'Claude' has no weight (known: GPT3, GPT4)", e.getMessage());
        assertEquals(Map.of("A", 2.0, "B", 0.5),
                CrlftConfig.fromOptions(Map.of("condition_weights", "A=2,B=0.5"), "cli").conditionWeights());
    }

    private static int[] trainedIds(TokenizedSequence s) {
        return java.util.stream.IntStream.range(0, s.length()).filter(i -> s.lossMask()[i]).map(i -> s.ids()[i])
                .toArray();
    }

    @Test
    void weightedLossIsTheWeightedMeanOfTokenCrossEntropies() {
        CausalLM model = HfModels.load(Fixture.load("llama-tiny").dir());
        TokenizedSequence a = new TokenizedSequence(new int[] {5, 6, 7, 8}, new boolean[] {false, true, true, true}, "a");
        TokenizedSequence b = new TokenizedSequence(new int[] {9, 10, 11}, new boolean[] {false, true, true}, "b");
        SftTask task = new SftTask(model, 0, null, null);
        double lossA = task.loss(Tape.inference(), List.of(a)).lossValue();
        double lossB = task.loss(Tape.inference(), List.of(b)).lossValue();
        double weighted = task.loss(Tape.inference(), List.of(a.withWeight(1.0), b.withWeight(0.1))).lossValue();
        double expected = (1.0 * 3 * lossA + 0.1 * 2 * lossB) / (1.0 * 3 + 0.1 * 2);
        assertEquals(expected, weighted, 1e-5);
        double unweighted = task.loss(Tape.inference(), List.of(a, b)).lossValue();
        assertEquals((3 * lossA + 2 * lossB) / 5, unweighted, 1e-5);
    }
}
