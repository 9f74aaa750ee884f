package org.align4j.data.panels;

import java.util.ArrayList;
import java.util.List;
import org.align4j.data.DataException;

/**
 * Builds condition panels with a language model, prompted as RecurrentGPT prompts its model (Zhou et al. 2023, arXiv
 * 2305.13304): given the short-term memory so far, the latest paragraph and the next paragraph, the model writes the
 * characters, the places, the plan of the next paragraph and the updated short-term memory, in {@link PanelText}'s
 * format. The memory it writes is what it reads for the next paragraph, so the panels of a story are built in order.
 * The latest paragraph and the long-term memory (retrieval by TF-IDF) come from the {@link ExtractivePanelBuilder},
 * as RecurrentGPT retrieves long-term memory by embedding rather than generating it.
 *
 * <p>Output before the first {@code "## "} header is ignored (chat models often open with a sentence), and so are panel
 * sections other than the four asked for. An output that does not parse ({@link PanelText#parse}: a missing or unknown
 * section, a character line that is not {@code "- name: description"}...) or has an empty plan is retried up to
 * {@code attempts} times in all; then the extractive panel is used when {@code fallBackToExtractive}, else it is a
 * {@link DataException} naming the story, the paragraph and the last parse error.
 */
public final class ModelPanelBuilder implements PanelBuilder {
    private final TextCompleter model;
    private final ExtractivePanelBuilder extractive;
    private final int attempts;
    private final boolean fallBackToExtractive;
    private int completions;
    private int fallbacks;

    /**
     * A builder asking {@code model}, with {@code extractive} for the latest paragraph, the long-term memory and the
     * fallback, trying each paragraph up to {@code attempts} times.
     */
    public ModelPanelBuilder(TextCompleter model, ExtractivePanelBuilder extractive, int attempts,
                             boolean fallBackToExtractive) {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be >= 1, got " + attempts);
        }
        this.model = model;
        this.extractive = extractive;
        this.attempts = attempts;
        this.fallBackToExtractive = fallBackToExtractive;
    }

    @Override
    public List<ParagraphPanel> build(Story story) {
        List<ParagraphPanel> panels = new ArrayList<>();
        String memory = "";
        for (ParagraphPanel base : extractive.build(story)) {
            ConditionPanel notes = notes(base, memory);
            ConditionPanel panel = base.panel().replacing(PanelField.SUMMARISED, notes);
            memory = panel.shortTermMemory();
            panels.add(new ParagraphPanel(story, base.index(), panel));
        }
        return panels;
    }

    /** Model calls made so far (retries included). */
    public int completions() {
        return completions;
    }

    /** Paragraphs so far whose panel fell back to the extractive one. */
    public int fallbacks() {
        return fallbacks;
    }

    private ConditionPanel notes(ParagraphPanel base, String memory) {
        String prompt = prompt(memory, base.panel().latestParagraphs(), base.paragraph());
        String lastError = null;
        for (int attempt = 0; attempt < attempts; attempt++) {
            completions++;
            try {
                return parse(model.complete(prompt, attempt), base.source());
            } catch (DataException e) {
                lastError = e.getMessage();
            }
        }
        if (fallBackToExtractive) {
            fallbacks++;
            return base.panel();
        }
        throw new DataException(base.source() + ": the model's panel did not parse in " + attempts + " attempt"
                + (attempts == 1 ? "" : "s") + "; last error: " + lastError);
    }

    /** The RecurrentGPT-style request for the notes of the next paragraph. */
    static String prompt(String memory, List<String> latest, String next) {
        return "You are helping an author keep the notes of a story while it is written, as in RecurrentGPT: a"
                + " short-term memory of what happened recently, the characters, the places, and the plan of the next"
                + " paragraph.\n\n"
                + "Short-term memory:\n" + (memory.isEmpty() ? "(nothing yet)" : memory) + "\n\n"
                + "Latest paragraph:\n" + String.join("\n", latest) + "\n\n"
                + "Next paragraph:\n" + ConditionPanel.oneLine(next) + "\n\n"
                + "Write the notes for the next paragraph in exactly this format:\n"
                + "## Characters\n- Name: one line about the character\n"
                + "## Places\n- Name: one line about the place\n"
                + "## Plan\nOne or two sentences on what the next paragraph does.\n"
                + "## Short-term memory\nThe short-term memory updated with the latest paragraph, in at most three"
                + " sentences.\n";
    }

    /**
     * The four asked-for fields ({@link PanelField#SUMMARISED}) of a model's output, as this builder reads them: text
     * before the first {@code "## "} header and sections not asked for are ignored; {@link PanelText#parse} with the
     * four sections required, and a non-empty plan. Anything else is a {@link DataException} naming {@code source}.
     */
    public static ConditionPanel parse(String output, String source) {
        int start = output.startsWith("##") ? 0 : output.indexOf("\n##");
        if (start < 0) {
            throw new DataException(source + ": the output has no '## ' section header");
        }
        ConditionPanel panel = PanelText.parse(output.substring(start), PanelField.SUMMARISED, source)
                .only(PanelField.SUMMARISED);
        if (panel.plan().isEmpty()) {
            throw new DataException(source + ": the plan is empty");
        }
        return panel;
    }
}
