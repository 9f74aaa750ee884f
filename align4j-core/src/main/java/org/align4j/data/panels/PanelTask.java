package org.align4j.data.panels;

import java.util.Locale;
import org.align4j.InputException;

/**
 * The two parts of panel training data: writing the next paragraph from its panel, and building the panel from the
 * paragraphs (so that a model learns to keep its own notes, as RecurrentGPT's model does).
 */
public enum PanelTask {
    /** Panel to next paragraph: prompt {@link PanelText#writingPrompt}, completion the paragraph. */
    WRITE,
    /**
     * Paragraphs to panel: prompt {@link PanelText#buildingPrompt} of the paragraphs the panel summarises (those of
     * its short-term memory, the latest one(s) and the paragraph it conditions), completion the rendered
     * {@link PanelField#SUMMARISED} fields (characters, places, plan, short-term memory; the latest paragraph is in
     * the prompt and the long-term memory is retrieved, not written).
     */
    BUILD;

    /** The task's name on the command line and in example files ("write", "build"). */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The task called {@code name}. */
    public static PanelTask of(String name) {
        for (PanelTask t : values()) {
            if (t.jsonName().equals(name.strip())) {
                return t;
            }
        }
        throw new InputException("unknown panel task '" + name + "' (known: write, build)");
    }

    /**
     * The training example of this task for {@code panel}, labelled with {@code condition} (its data source, for
     * C-RLFT); {@code contextParagraphs} is how many paragraphs before the conditioned one the building prompt shows.
     */
    public PanelExample example(ParagraphPanel panel, int contextParagraphs, String condition) {
        return switch (this) {
            case WRITE -> new PanelExample(this, panel.source(), condition, PanelText.writingPrompt(panel.panel()),
                    panel.paragraph());
            case BUILD -> {
                int from = Math.max(0, panel.index() - contextParagraphs);
                yield new PanelExample(this, panel.source(), condition,
                        PanelText.buildingPrompt(panel.story().paragraphs().subList(from, panel.index() + 1)),
                        PanelText.render(panel.panel().only(PanelField.SUMMARISED)));
            }
        };
    }
}
