package org.align4j.data.panels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The extractive builder on a small story whose names, places and memories are known. */
class ExtractivePanelBuilderTest {
    static final Story STORY = new Story("farm", List.of(
            "Anna Blake walked into the kitchen. She was tired after the long drive from Boston.",
            "The kettle sang while Anna waited. Her brother Tom had promised to call.",
            "Tom arrived at the station in Boston at noon. He carried a blue suitcase for Mr. Grant.",
            "At the farm, Anna fed the horses. The old barn smelled of hay and rain.",
            "When the telephone rang, Anna ran to answer it. Tom was laughing about the blue suitcase."));

    @Test
    void buildsOnePanelPerParagraphAfterTheFirst() {
        List<ParagraphPanel> panels = new ExtractivePanelBuilder(PanelSizes.defaults()).build(STORY);
        assertEquals(List.of(1, 2, 3, 4), panels.stream().map(ParagraphPanel::index).toList());
        ConditionPanel first = panels.getFirst().panel();
        assertEquals(List.of(STORY.paragraphs().get(0)), first.latestParagraphs());
        assertEquals("", first.shortTermMemory(), "nothing before the latest paragraph");
        assertTrue(first.longTermMemory().isEmpty());
    }

    @Test
    void panelOfTheLastParagraph() {
        ParagraphPanel last = new ExtractivePanelBuilder(PanelSizes.defaults()).build(STORY).getLast();
        ConditionPanel p = last.panel();
        assertEquals("farm:4", last.source());
        assertEquals(List.of(STORY.paragraphs().get(3)), p.latestParagraphs());
        assertEquals(List.of("Anna", "Tom"), p.characters().stream().map(ConditionPanel.Entity::name).toList(),
                "mid-sentence capitals mentioned twice or more; sentence-initial 'Tom' counts once 'Tom' is a name;"
                        + " 'Anna Blake' and 'Mr. Grant' are mentioned once; function words ('The', 'At') are no names");
        assertEquals("The kettle sang while Anna waited.", p.characters().get(0).description(), "first mention");
        assertEquals(List.of(new ConditionPanel.Entity("Boston", "She was tired after the long drive from Boston.")),
                p.places());
        assertEquals("The kettle sang while Anna waited. / Tom arrived at the station in Boston at noon.",
                p.shortTermMemory(), "first sentences of the paragraphs before the latest one");
        assertEquals(List.of("Anna Blake walked into the kitchen. She was tired after the long drive from Boston."),
                p.longTermMemory(), "the only earlier paragraph, similar through 'Anna'");
        assertTrue(p.plan().startsWith("Opening: When the telephone rang | Key words: "), p.plan());
        for (String keyword : p.plan().substring(p.plan().indexOf("Key words: ") + 11).split(", ")) {
            assertTrue(Prose.contentWords(last.paragraph()).contains(keyword), keyword);
        }
    }

    @Test
    void sizesLimitTheFields() {
        PanelSizes tight = new PanelSizes(2, 3, 1, 0, 2, 2, 0, 2, 1, 3, 0, 0);
        ConditionPanel p = new ExtractivePanelBuilder(tight).build(STORY).getLast().panel();
        assertEquals(List.of("Tom arrived at", "At the farm,"), p.latestParagraphs());
        assertEquals(1, p.characters().size());
        assertEquals(2, Prose.wordCount(p.characters().getFirst().description()));
        assertTrue(p.places().isEmpty() && p.longTermMemory().isEmpty());
        assertEquals("The kettle sang", p.shortTermMemory());
        assertTrue(p.plan().startsWith("Key words: ") && p.plan().split(",").length == 2, p.plan());
    }

    @Test
    void continuedPanelMovesOnAndKeepsThePlanAndGivenNames() {
        ExtractivePanelBuilder builder = new ExtractivePanelBuilder(PanelSizes.defaults());
        ConditionPanel given = new ConditionPanel(List.of(), List.of(new ConditionPanel.Entity("Grandma", "old")),
                List.of(), "Tom tells Anna the truth.", "", List.of());
        ConditionPanel next = builder.continued(given, STORY.paragraphs());
        assertEquals(List.of(STORY.paragraphs().getLast()), next.latestParagraphs());
        assertEquals("Tom tells Anna the truth.", next.plan());
        assertEquals(List.of("Grandma", "Anna", "Tom"), next.characters().stream().map(ConditionPanel.Entity::name)
                .toList());
        assertEquals("Tom arrived at the station in Boston at noon. / At the farm, Anna fed the horses.",
                next.shortTermMemory());
    }

    @Test
    void sentencesAndNames() {
        assertEquals(List.of("Mr. McKinley paid.", "\"Sorry, Mr. Paxton\".", "Who??"),
                Prose.sentences("Mr. McKinley paid. \"Sorry, Mr. Paxton\". Who??"));
        assertEquals(List.of("McKinley", "Rachel"), ProperNouns.scan("But McKinley's wife Rachel laughed.").stream()
                .map(ProperNouns.Mention::name).toList());
        ProperNouns.Mention place = ProperNouns.scan("They drove to the University Hospital.").getFirst();
        assertEquals("University Hospital", place.name());
        assertTrue(place.afterPlacePreposition() && !place.sentenceInitial());
        assertTrue(ProperNouns.scan("\"Sorry, he said.").getFirst().sentenceInitial(), "a quotation opens");
    }

    @Test
    void storiesRegroupAndRead() {
        Story s = new Story("s", List.of("one two", "three", "four five six", "seven"));
        assertEquals(List.of("one two three", "four five six", "seven"), s.regrouped(3).paragraphs());
        assertEquals(s, s.regrouped(0));
    }
}
