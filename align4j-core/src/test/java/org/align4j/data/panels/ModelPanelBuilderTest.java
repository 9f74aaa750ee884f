package org.align4j.data.panels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.align4j.data.DataException;
import org.junit.jupiter.api.Test;

/** The model panel builder and the recurrent writer driven by a scripted model. */
class ModelPanelBuilderTest {
    private static final Story STORY = new Story("s", List.of("Anna came home.", "Tom called her.", "They laughed."));
    private static final String NOTES = """
            Sure, here are the notes.
            ## Characters
            - Anna: she came home
            ## Places
            ## Plan
            Tom calls Anna.
            ## Short-term memory
            Anna is home.
            """;

    /** Answers each prompt with the next scripted output, recording what it was asked. */
    static final class ScriptedModel implements TextCompleter {
        final Deque<String> outputs;
        final List<String> prompts = new ArrayList<>();
        final List<Integer> attempts = new ArrayList<>();

        ScriptedModel(String... outputs) {
            this.outputs = new ArrayDeque<>(List.of(outputs));
        }

        @Override
        public String complete(String prompt, int attempt) {
            prompts.add(prompt);
            attempts.add(attempt);
            return outputs.removeFirst();
        }
    }

    private static ModelPanelBuilder builder(TextCompleter model, int attempts, boolean fallback) {
        return new ModelPanelBuilder(model, new ExtractivePanelBuilder(PanelSizes.defaults()), attempts, fallback);
    }

    @Test
    void parsesTheNotesAndCarriesTheMemoryForward() {
        ScriptedModel model = new ScriptedModel(NOTES, NOTES.replace("Anna is home.", "Tom called."));
        List<ParagraphPanel> panels = builder(model, 1, false).build(STORY);
        ConditionPanel first = panels.getFirst().panel();
        assertEquals(List.of(new ConditionPanel.Entity("Anna", "she came home")), first.characters());
        assertTrue(first.places().isEmpty());
        assertEquals("Tom calls Anna.", first.plan());
        assertEquals("Anna is home.", first.shortTermMemory());
        assertEquals(List.of("Anna came home."), first.latestParagraphs(), "copied from the text, not generated");
        assertTrue(model.prompts.get(0).contains("Short-term memory:\n(nothing yet)\n"), model.prompts.get(0));
        assertTrue(model.prompts.get(0).contains("Latest paragraph:\nAnna came home.\n\nNext paragraph:\nTom called her.\n"));
        assertTrue(model.prompts.get(1).contains("Short-term memory:\nAnna is home.\n"), "the memory recurs");
        assertEquals("Tom called.", panels.get(1).panel().shortTermMemory());
    }

    @Test
    void retriesMalformedOutputThenFailsOrFallsBack() {
        ScriptedModel model = new ScriptedModel("no headers at all", NOTES.replace("## Plan\n", "## Scene\n"), NOTES,
                NOTES);
        ModelPanelBuilder retrying = builder(model, 3, false);
        List<ParagraphPanel> panels = retrying.build(STORY);
        assertEquals("Tom calls Anna.", panels.getFirst().panel().plan());
        assertEquals(List.of(0, 1, 2, 0), model.attempts, "two failures, then the third try parses");
        assertEquals(4, retrying.completions());

        DataException e = assertThrows(DataException.class, () -> builder(new ScriptedModel(
                "## Characters\nAnna\n", "## Plan\n\n"), 2, false).build(STORY));
        assertEquals("s:1: the model's panel did not parse in 2 attempts; last error: s:1: missing section"
                + " '## Characters'", e.getMessage());

        ModelPanelBuilder falling = builder(new ScriptedModel("nothing", NOTES), 1, true);
        List<ParagraphPanel> mixed = falling.build(STORY);
        ParagraphPanel extractive = new ExtractivePanelBuilder(PanelSizes.defaults()).build(STORY).getFirst();
        assertEquals(extractive.panel(), mixed.getFirst().panel());
        assertEquals("Tom calls Anna.", mixed.get(1).panel().plan());
        assertEquals(1, falling.fallbacks());
    }

    @Test
    void writerWritesUpdatesAndContinues() {
        ConditionPanel start = new ConditionPanel(List.of("Anna came home."), List.of(), List.of(),
                "Anna finds the letter.", "", List.of());
        ScriptedModel model = new ScriptedModel("Tom was waiting in the hall.\n## Plan\nignored", "",
                "Anna saw the letter on the table.");
        List<RecurrentWriter.Step> seen = new ArrayList<>();
        List<RecurrentWriter.Step> steps = new RecurrentWriter(model, new ExtractivePanelBuilder(PanelSizes.defaults()),
                2).write(start, 2, seen::add);
        assertEquals(steps, seen);
        assertEquals("Tom was waiting in the hall.", steps.get(0).paragraph(), "cut at the next section");
        assertEquals(PanelText.writingPrompt(start), model.prompts.get(0));
        ConditionPanel second = steps.get(1).panel();
        assertEquals(List.of("Tom was waiting in the hall."), second.latestParagraphs());
        assertEquals("Anna came home.", second.shortTermMemory());
        assertEquals("Anna finds the letter.", second.plan());
        assertEquals("Anna saw the letter on the table.", steps.get(1).paragraph(), "an empty paragraph is retried");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RecurrentWriter(
                new ScriptedModel(" ", "## Plan"), new ExtractivePanelBuilder(PanelSizes.defaults()), 2)
                .write(start, 1, s -> { }));
        assertEquals("step 1: the model wrote an empty paragraph 2 times", e.getMessage());
    }
}
