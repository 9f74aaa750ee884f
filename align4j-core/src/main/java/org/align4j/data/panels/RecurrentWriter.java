package org.align4j.data.panels;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Writes a story paragraph by paragraph from a condition panel, in RecurrentGPT's recurrence (Zhou et al. 2023, arXiv
 * 2305.13304): the model writes the next paragraph from the panel ({@link PanelText#writingPrompt}), then the panel is
 * updated ({@link ExtractivePanelBuilder#continued}): the new paragraph becomes the latest one, the short-term memory
 * moves on, the long-term memory is retrieved again from the story so far, new names join the characters and places,
 * and the author's plan stays. The story starts from the panel's latest paragraph(s).
 */
public final class RecurrentWriter {
    private final TextCompleter model;
    private final ExtractivePanelBuilder updater;
    private final int attempts;

    /**
     * One step of the loop.
     *
     * @param step      the step, from 1
     * @param panel     the panel the paragraph was written from
     * @param paragraph the paragraph written
     */
    public record Step(int step, ConditionPanel panel, String paragraph) {
    }

    /** A writer running {@code model}, updating panels with {@code updater}, trying each paragraph up to
     * {@code attempts} times when the model writes nothing. */
    public RecurrentWriter(TextCompleter model, ExtractivePanelBuilder updater, int attempts) {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be >= 1, got " + attempts);
        }
        this.model = model;
        this.updater = updater;
        this.attempts = attempts;
    }

    /** Writes {@code steps} paragraphs from {@code start}, telling {@code onStep} about each as it is written. */
    public List<Step> write(ConditionPanel start, int steps, Consumer<Step> onStep) {
        List<String> story = new ArrayList<>(start.latestParagraphs());
        List<Step> written = new ArrayList<>();
        ConditionPanel panel = start;
        for (int step = 1; step <= steps; step++) {
            String paragraph = paragraph(PanelText.writingPrompt(panel), step);
            Step s = new Step(step, panel, paragraph);
            written.add(s);
            onStep.accept(s);
            story.add(paragraph);
            panel = updater.continued(panel, story);
        }
        return written;
    }

    /** The model's paragraph: its output up to a new section header, on one line; retried when empty. */
    private String paragraph(String prompt, int step) {
        for (int attempt = 0; attempt < attempts; attempt++) {
            String out = model.complete(prompt, attempt);
            int header = out.indexOf("##");
            String paragraph = ConditionPanel.oneLine(header >= 0 ? out.substring(0, header) : out);
            if (!paragraph.isEmpty()) {
                return paragraph;
            }
        }
        throw new IllegalArgumentException("step " + step + ": the model wrote an empty paragraph " + attempts
                + " time" + (attempts == 1 ? "" : "s"));
    }
}
