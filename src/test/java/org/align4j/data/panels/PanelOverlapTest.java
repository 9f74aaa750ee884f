package org.align4j.data.panels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link PanelOverlap} on hand-counted cases. */
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
}
