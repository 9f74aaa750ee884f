package org.align4j.align.kto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.align4j.data.DataException;
import org.align4j.data.Example;
import org.align4j.data.PreferenceTokenization;
import org.align4j.data.TokenizedSequence;
import org.align4j.data.TruncationMode;
import org.junit.jupiter.api.Test;

/** {@link KtoData}: unpairing, the mismatched pairs of each micro-batch, dropping, refusals. */
class KtoDataTest {
    private static final PreferenceTokenization TOKENIZATION = new PreferenceTokenization(null, 6,
            TruncationMode.KEEP_START);

    /** The completion tokens of a sequence (those in the loss). */
    private static int[] completion(TokenizedSequence s) {
        int[] out = new int[s.length()];
        int n = 0;
        for (int t = 0; t < s.length(); t++) {
            if (s.lossMask()[t]) {
                out[n++] = s.ids()[t];
            }
        }
        return Arrays.copyOf(out, n);
    }

    private static int[] prompt(TokenizedSequence s) {
        int n = 0;
        while (n < s.length() && !s.lossMask()[n]) {
            n++;
        }
        return Arrays.copyOf(s.ids(), n);
    }

    @Test
    void pairsAreUnpairedChosenFirstAndEachMicroBatchRotatesItsCompletions() {
        List<Example> pairs = List.of(new Example.TokenizedPreference("p:1", new int[] {1}, new int[] {10},
                new int[] {20}), new Example.TokenizedPreference("p:2", new int[] {2}, new int[] {11},
                new int[] {21}));
        KtoData.Prepared prepared = KtoData.prepare(TOKENIZATION, pairs, 2, true);
        List<KtoExample> e = prepared.examples();
        assertEquals(4, e.size());
        assertEquals(2, prepared.desirable());
        // unpaired: chosen 10, 11 (true), then rejected 20, 21 (false)
        int[][] completions = e.stream().map(x -> completion(x.sequence())).toArray(int[][]::new);
        assertArrayEquals(new int[][] {{10}, {11}, {20}, {21}}, completions);
        assertTrue(e.get(0).desirable() && e.get(1).desirable() && !e.get(2).desirable());
        // micro-batches [0, 1] and [2, 3]: each example's mismatched completion is its predecessor's, the first
        // example's the last one's of its micro-batch; the prompt stays its own
        assertArrayEquals(new int[] {11}, completion(e.get(0).mismatched()));
        assertArrayEquals(new int[] {10}, completion(e.get(1).mismatched()));
        assertArrayEquals(new int[] {21}, completion(e.get(2).mismatched()));
        assertArrayEquals(new int[] {1}, prompt(e.get(0).mismatched()));
    }

    @Test
    void promptsThatFillMaxLengthAreDroppedAndWithoutKlThereIsNoMismatchedPair() {
        List<Example> pairs = new ArrayList<>();
        pairs.add(new Example.TokenizedPreference("p:1", new int[] {1, 2, 3, 4, 5, 6}, new int[] {7},
                new int[] {8}));
        pairs.add(new Example.TokenizedPreference("p:2", new int[] {1}, new int[] {7, 7, 7, 7, 7, 7, 7},
                new int[] {8}));
        KtoData.Prepared prepared = KtoData.prepare(TOKENIZATION, pairs, 4, false);
        assertEquals(2, prepared.dropped());
        assertEquals(2, prepared.examples().size());
        assertEquals(6, prepared.examples().get(0).sequence().length(), "truncated to max_length");
        assertEquals(null, prepared.examples().get(0).mismatched());
    }

    @Test
    void mixedDataIsRefusedNamingTheLine() {
        List<Example> mixed = List.of(new Example.TokenizedPreference("d.jsonl:1", new int[] {1}, new int[] {2},
                new int[] {3}), new Example.PromptCompletion("d.jsonl:2", new org.align4j.data.Text.Plain("a"),
                new org.align4j.data.Text.Plain("b")));
        DataException e = assertThrows(DataException.class, () -> KtoData.prepare(TOKENIZATION, mixed, 2, true));
        assertTrue(e.getMessage().startsWith("d.jsonl:2: KTO needs unpaired examples"), e.getMessage());
    }
}
