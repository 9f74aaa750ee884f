package org.align4j.data.panels;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.align4j.InputException;

/**
 * The fields of a {@link ConditionPanel}, in the order {@link PanelText} renders them (the latest paragraph last, so
 * that it sits right before the paragraph to write).
 */
public enum PanelField {
    /** The characters and their descriptions. */
    CHARACTERS("characters", "Characters"),
    /** The places and their descriptions. */
    PLACES("places", "Places"),
    /** The earlier paragraphs most similar to the current situation (RecurrentGPT's long-term memory). */
    LONG_TERM_MEMORY("long_term_memory", "Long-term memory"),
    /** A summary of the recent story (RecurrentGPT's short-term memory). */
    SHORT_TERM_MEMORY("short_term_memory", "Short-term memory"),
    /** The author's plan and goals for the next paragraph (RecurrentGPT's instruction). */
    PLAN("plan", "Plan"),
    /** The paragraph(s) just before the one to write. */
    LATEST_PARAGRAPHS("latest_paragraphs", "Latest paragraph");

    /**
     * The fields a reader builds from the text (the rest are copied from it or retrieved): what the model panel
     * builder asks a model for, and what the paragraphs-to-panel training task teaches.
     */
    public static final Set<PanelField> SUMMARISED = Set.copyOf(EnumSet.of(CHARACTERS, PLACES, PLAN,
            SHORT_TERM_MEMORY));

    private final String jsonName;
    private final String header;

    PanelField(String jsonName, String header) {
        this.jsonName = jsonName;
        this.header = header;
    }

    /** The field's name in panel JSON and on the command line (snake_case). */
    public String jsonName() {
        return jsonName;
    }

    /** The section header's text in the rendered panel (after {@code "## "}). */
    public String header() {
        return header;
    }

    /** The field called {@code name} (its JSON name); an unknown name is an error listing the known ones. */
    public static PanelField of(String name) {
        for (PanelField f : values()) {
            if (f.jsonName.equals(name)) {
                return f;
            }
        }
        throw new InputException("unknown panel field '" + name + "' (known: "
                + Arrays.stream(values()).map(PanelField::jsonName).collect(Collectors.joining(", ")) + ")");
    }
}
