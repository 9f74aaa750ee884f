package org.align4j.data.panels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WordOverlapTest {
    private static final String PARAGRAPH = "The old man walked to the river, and the river was cold.";

    @Test
    void shareCountsTheTargetsWordOccurrencesFoundInTheSourceIgnoringCase() {
        assertEquals(0.0, WordOverlap.share(PARAGRAPH, "Nothing alike here"));
        assertEquals(1.0, WordOverlap.share(PARAGRAPH, PARAGRAPH.toUpperCase()));
        // "the" occurs 3 times and "river" twice among 12 words
        assertEquals(5 / 12.0, WordOverlap.share(PARAGRAPH, "river; THE"), 1e-12);
        assertEquals(0.0, WordOverlap.share("-- ...", PARAGRAPH), "a target without words");
    }

    @Test
    void subsequenceKeepsTheAskedShareOfPiecesInOrder() {
        List<String> pieces = Arrays.asList(PARAGRAPH.split(" "));
        SplittableRandom random = new SplittableRandom(5);
        assertEquals("", WordOverlap.subsequence(PARAGRAPH, 0, random));
        assertEquals(PARAGRAPH, WordOverlap.subsequence(PARAGRAPH, 1, random));
        for (int trial = 0; trial < 20; trial++) {
            String half = WordOverlap.subsequence(PARAGRAPH, 0.5, random);
            String[] kept = half.split(" ");
            assertEquals(Math.round(0.5 * pieces.size()), kept.length, half);
            int at = -1;
            for (String k : kept) {
                int next = pieces.subList(at + 1, pieces.size()).indexOf(k);
                assertTrue(next >= 0, "in order: " + half);
                at += next + 1;
            }
            assertTrue(WordOverlap.share(PARAGRAPH, half) >= 0.5, half);
        }
        assertEquals("", WordOverlap.subsequence("   ", 0.5, random));
        assertThrows(IllegalArgumentException.class, () -> WordOverlap.subsequence(PARAGRAPH, 1.5, random));
    }

    @Test
    void subsequenceDrawsEveryPieceAlike() {
        SplittableRandom random = new SplittableRandom(11);
        String text = "a b c d e f g h";
        int[] counts = new int[8];
        for (int trial = 0; trial < 4000; trial++) {
            for (String k : WordOverlap.subsequence(text, 0.25, random).split(" ")) {
                counts[k.charAt(0) - 'a']++;
            }
        }
        for (int c : counts) {
            assertEquals(1000, c, 120, Arrays.toString(counts));
        }
    }
}
