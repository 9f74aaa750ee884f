package org.align4j.data.panels;

import org.align4j.data.DataException;

/**
 * The panel that conditions the writing of one paragraph of a story.
 *
 * @param story the story
 * @param index the paragraph the panel conditions (at least 1: a panel needs a latest paragraph)
 * @param panel the panel
 */
public record ParagraphPanel(Story story, int index, ConditionPanel panel) {
    /** Checks the index. */
    public ParagraphPanel {
        if (index < 1 || index >= story.paragraphs().size()) {
            throw new DataException(story.id() + ": paragraph " + index + " is not in [1, "
                    + story.paragraphs().size() + ")");
        }
    }

    /** The paragraph the panel conditions. */
    public String paragraph() {
        return story.paragraphs().get(index);
    }

    /** {@code story-id:paragraph}, for messages. */
    public String source() {
        return story.id() + ":" + index;
    }
}
