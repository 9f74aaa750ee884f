package org.align4j.data.panels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.align4j.data.DataException;
import org.junit.jupiter.api.Test;

/** The panel's text form, its JSON form, and the field operations. */
class PanelTextTest {
    static final ConditionPanel PANEL = new ConditionPanel(List.of("Anna fed the horses."),
            List.of(new ConditionPanel.Entity("Anna", "Anna walked into the kitchen."),
                    new ConditionPanel.Entity("Mr. Tom Blake", "")),
            List.of(new ConditionPanel.Entity("Boston", "a long drive from Boston")),
            "Opening: When the telephone rang | Key words: telephone, laughing",
            "The kettle sang. / Tom arrived.", List.of("Anna Blake walked into the kitchen."));

    @Test
    void rendersOneSectionPerFieldAndParsesBack() {
        String text = PanelText.render(PANEL);
        assertEquals("""
                ## Characters
                - Anna: Anna walked into the kitchen.
                - Mr. Tom Blake
                ## Places
                - Boston: a long drive from Boston
                ## Long-term memory
                - Anna Blake walked into the kitchen.
                ## Short-term memory
                The kettle sang. / Tom arrived.
                ## Plan
                Opening: When the telephone rang | Key words: telephone, laughing
                ## Latest paragraph
                Anna fed the horses.
                """, text);
        assertEquals(PANEL, PanelText.parse(text, EnumSet.allOf(PanelField.class), "t"));
        assertEquals(PANEL, PanelText.parse("\n" + text.replace("\n", "\n\n"), Set.of(), "t"), "blank lines");
    }

    @Test
    void emptyFieldsAreLeftOutAndPromptsCloseWithTheirHeader() {
        ConditionPanel noPlaces = PANEL.without(PanelField.PLACES);
        assertFalse(PanelText.render(noPlaces).contains("## Places"));
        assertTrue(noPlaces.isEmpty(PanelField.PLACES));
        assertEquals(PANEL.characters(), noPlaces.characters());
        assertTrue(PanelText.writingPrompt(PANEL).endsWith("## Latest paragraph\nAnna fed the horses.\n## Next paragraph\n"));
        assertEquals("## Paragraphs\nOne two.\nThree.\n## Panel\n", PanelText.buildingPrompt(List.of("One\ntwo.", "Three.")));
        ConditionPanel summary = PANEL.only(PanelField.SUMMARISED);
        assertTrue(summary.latestParagraphs().isEmpty() && summary.longTermMemory().isEmpty());
        assertEquals(PANEL.plan(), summary.plan());
    }

    @Test
    void malformedTextNamesTheLine() {
        Set<PanelField> none = Set.of();
        assertMessage("t: line 2: unknown section '## Weather'", () -> PanelText.parse("## Plan\n## Weather\n", none, "t"));
        assertMessage("t: line 1: text before the first section header",
                () -> PanelText.parse("Sure! Here are the notes.\n## Plan\nx\n", none, "t"));
        assertMessage("t: line 3: section 'Plan' appears twice", () -> PanelText.parse("## Plan\na\n## Plan\nb\n", none, "t"));
        assertMessage("t: section 'Characters': expected '- name: description', got 'Anna is tired'",
                () -> PanelText.parse("## Characters\nAnna is tired\n", none, "t"));
        assertMessage("t: section 'Places': entry without a name", () -> PanelText.parse("## Places\n- : a city\n", none, "t"));
        assertMessage("t: missing section '## Short-term memory'", () -> PanelText.parse(
                "## Characters\n## Places\n## Plan\nx\n", PanelField.SUMMARISED, "t"));
    }

    @Test
    void jsonRoundTripAndErrorsNamingTheField() {
        String json = PANEL.toJson();
        assertTrue(json.startsWith("{\"latest_paragraphs\":[\"Anna fed the horses.\"],\"characters\":[{\"name\":\"Anna\""),
                json);
        assertEquals(PANEL, ConditionPanel.fromJson(json, "p.json"));
        assertEquals(ConditionPanel.EMPTY, ConditionPanel.fromJson("{}", "p.json"));
        assertEquals(List.of("a b"), ConditionPanel.fromJson("{\"latest_paragraphs\": [\" a\\n  b \", \"\"]}", "p.json")
                .latestParagraphs(), "whitespace collapsed, empty paragraphs dropped");
        assertMessage("p.json: field 'colour'", () -> ConditionPanel.fromJson("{\"colour\": 1}", "p.json"));
        assertMessage("p.json: field 'characters[1]': name 'a:b' must not contain ':'",
                () -> ConditionPanel.fromJson("{\"characters\": [{\"name\": \"x\"}, {\"name\": \"a:b\"}]}", "p.json"));
        assertMessage("p.json: field 'places'", () -> ConditionPanel.fromJson("{\"places\": \"Boston\"}", "p.json"));
        assertMessage("p.json: malformed JSON", () -> ConditionPanel.fromJson("{\"plan\": ", "p.json"));
    }

    static void assertMessage(String start, org.junit.jupiter.api.function.Executable call) {
        DataException e = assertThrows(DataException.class, call);
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }
}
