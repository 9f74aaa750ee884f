package org.align4j.data.panels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link PanelOverlap} on hand-counted cases, and the subsequences that dose a panel. */
class PanelOverlapTest {
    private static final String PARAGRAPH = "Anna ran home, and Anna smiled.";

    private static ConditionPanel panel(String plan, String memory, String characterDescription) {
        return new ConditionPanel(List.of("Anna smiled at home, ran."), List.of(new ConditionPanel.Entity("Anna",
                characterDescription)), List.of(), plan, memory, List.of("Anna ran home and smiled"));
    }

    @Test
    void aPanelRestatingTheParagraphIsOneAndOneSharingNoWordIsZero() {
        assertEquals(1.0, PanelOverlap.of(PARAGRAPH, panel("ANNA RAN HOME AND SMILED", "", "")));
        assertEquals(1.0, PanelOverlap.of(PARAGRAPH, panel("smiled", "and home", "Anna ran")),
                "plan, short-term memory and descriptions together");
        assertEquals(0.0, PanelOverlap.of(PARAGRAPH, panel("Tom slept.", "", "")),
                "the name, the latest paragraph and the long-term memory are not written fields");
        assertEquals(0.0, PanelOverlap.of("...", panel("anything", "", "")), "a paragraph without words");
    }

    @Test
    void everyOccurrenceOfACopiedWordCounts() {
        assertEquals(2 / 6.0, PanelOverlap.of(PARAGRAPH, panel("Anna waits.", "", "")), 1e-12);
        assertEquals(3 / 6.0, PanelOverlap.of(PARAGRAPH, panel("", "She ran.", "quick to anger, anna")), 1e-12);
        assertEquals(0.5, PanelOverlap.of("Don’t go.", new ConditionPanel(List.of(), List.of(), List.of(
                new ConditionPanel.Entity("Boston", "don't")), "", "", List.of())), 1e-12,
                "curly and straight apostrophes spell the same word");
    }

    private static final String TEXT = "The old man walked to the river, and the river was cold.";

    @Test
    void subsequenceKeepsTheAskedShareOfPiecesInOrder() {
        List<String> pieces = Arrays.asList(TEXT.split(" "));
        SplittableRandom random = new SplittableRandom(5);
        assertEquals("", PanelOverlap.subsequence(TEXT, 0, random));
        assertEquals(TEXT, PanelOverlap.subsequence(TEXT, 1, random));
        for (int trial = 0; trial < 20; trial++) {
            String half = PanelOverlap.subsequence(TEXT, 0.5, random);
            String[] kept = half.split(" ");
            assertEquals(Math.round(0.5 * pieces.size()), kept.length, half);
            int at = -1;
            for (String k : kept) {
                int next = pieces.subList(at + 1, pieces.size()).indexOf(k);
                assertTrue(next >= 0, "in order: " + half);
                at += next + 1;
            }
            assertTrue(PanelOverlap.of(TEXT, new ConditionPanel(List.of(), List.of(), List.of(), half, "", List.of()))
                    >= 0.5, half);
        }
        assertEquals("", PanelOverlap.subsequence("   ", 0.5, random));
        assertThrows(IllegalArgumentException.class, () -> PanelOverlap.subsequence(TEXT, 1.5, random));
    }

    @Test
    void subsequenceDrawsEveryPieceAlike() {
        SplittableRandom random = new SplittableRandom(11);
        String text = "a b c d e f g h";
        int[] counts = new int[8];
        for (int trial = 0; trial < 4000; trial++) {
            for (String k : PanelOverlap.subsequence(text, 0.25, random).split(" ")) {
                counts[k.charAt(0) - 'a']++;
            }
        }
        for (int c : counts) {
            assertEquals(1000, c, 120, Arrays.toString(counts));
        }
    }
}
