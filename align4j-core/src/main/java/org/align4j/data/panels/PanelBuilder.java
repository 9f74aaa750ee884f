package org.align4j.data.panels;

import java.util.List;

/**
 * Builds the condition panels of a story from its raw paragraphs: one panel for each paragraph after the first,
 * holding what a writer knows before writing it (and, in the plan, the materials it is assigned).
 */
public interface PanelBuilder {

    /** The panels of {@code story}, for paragraphs 1, 2, ... in order. */
    List<ParagraphPanel> build(Story story);
}
