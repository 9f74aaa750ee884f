package org.align4j.data.panels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.align4j.data.DataException;

/**
 * The plain-text form of a {@link ConditionPanel}, which is what a model reads and writes. Each non-empty field is a
 * section, in {@link PanelField} order, opened by a header line {@code "## <header>"}:
 * <pre>
 * ## Characters
 * - Rachel: Rachel wore a smart hat and puffed at her cigarettes.
 * ## Places
 * - University Hospital: He was discharged from the hospital after a two-day checkup.
 * ## Long-term memory
 * - an earlier paragraph
 * ## Short-term memory
 * A summary of the recent story.
 * ## Plan
 * What the next paragraph does.
 * ## Latest paragraph
 * The paragraph just before the one to write.
 * </pre>
 * Characters and places are {@code "- name: description"} lines ({@code "- name"} without a description), long-term
 * memories are {@code "- text"} lines, the latest paragraphs one per line, plan and short-term memory free text.
 *
 * <p>The two training tasks add a closing header: the writing prompt is the panel followed by
 * {@code "## Next paragraph"} (the completion is the paragraph); the building prompt is {@code "## Paragraphs"}, the
 * paragraphs one per line, then {@code "## Panel"} (the completion is the rendered panel).
 */
public final class PanelText {
    /** The header that asks for the next paragraph after a panel. */
    public static final String NEXT_PARAGRAPH = "## Next paragraph\n";
    /** The header before the paragraphs a panel is built from. */
    public static final String PARAGRAPHS = "## Paragraphs\n";
    /** The header that asks for the panel of the paragraphs before it. */
    public static final String PANEL = "## Panel\n";

    private static final String HEADER = "## ";
    private static final String ITEM = "- ";

    private PanelText() {
    }

    /** The panel as text, one section per non-empty field; every line ends with a newline. */
    public static String render(ConditionPanel panel) {
        StringBuilder out = new StringBuilder();
        for (PanelField field : PanelField.values()) {
            if (panel.isEmpty(field)) {
                continue;
            }
            out.append(HEADER).append(field.header()).append('\n');
            switch (field) {
                case CHARACTERS -> entities(out, panel.characters());
                case PLACES -> entities(out, panel.places());
                case LONG_TERM_MEMORY -> panel.longTermMemory().forEach(m -> out.append(ITEM).append(m).append('\n'));
                case SHORT_TERM_MEMORY -> out.append(panel.shortTermMemory()).append('\n');
                case PLAN -> out.append(panel.plan()).append('\n');
                case LATEST_PARAGRAPHS -> panel.latestParagraphs().forEach(p -> out.append(p).append('\n'));
            }
        }
        return out.toString();
    }

    private static void entities(StringBuilder out, List<ConditionPanel.Entity> entities) {
        for (ConditionPanel.Entity e : entities) {
            out.append(ITEM).append(e.name());
            if (!e.description().isEmpty()) {
                out.append(": ").append(e.description());
            }
            out.append('\n');
        }
    }

    /** The prompt of the writing task: the panel, then the header asking for the next paragraph. */
    public static String writingPrompt(ConditionPanel panel) {
        return render(panel) + NEXT_PARAGRAPH;
    }

    /** The prompt of the building task: the paragraphs, one per line, then the header asking for their panel. */
    public static String buildingPrompt(List<String> paragraphs) {
        StringBuilder out = new StringBuilder(PARAGRAPHS);
        paragraphs.forEach(p -> out.append(ConditionPanel.oneLine(p)).append('\n'));
        return out.append(PANEL).toString();
    }

    /**
     * Parses rendered panel text. Blank lines are ignored; every other line belongs to the section above it. A line
     * before the first header, an unknown or repeated header, a character or place line that is not
     * {@code "- name: description"}, or a missing {@code required} section is a {@link DataException} naming
     * {@code source} and the line.
     */
    public static ConditionPanel parse(String text, Set<PanelField> required, String source) {
        Map<PanelField, List<String>> sections = new EnumMap<>(PanelField.class);
        List<String> current = null;
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            String where = source + ": line " + (i + 1);
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("##")) {
                PanelField field = fieldOfHeader(line.substring(2).strip(), where);
                if (sections.containsKey(field)) {
                    throw new DataException(where + ": section '" + field.header() + "' appears twice");
                }
                current = new ArrayList<>();
                sections.put(field, current);
            } else if (current == null) {
                throw new DataException(where + ": text before the first section header ('## Characters', ...)");
            } else {
                current.add(line);
            }
        }
        for (PanelField field : PanelField.values()) {
            if (required.contains(field) && !sections.containsKey(field)) {
                throw new DataException(source + ": missing section '## " + field.header() + "'");
            }
        }
        List<String> none = List.of();
        return new ConditionPanel(
                sections.getOrDefault(PanelField.LATEST_PARAGRAPHS, none),
                entities(sections.getOrDefault(PanelField.CHARACTERS, none), "Characters", source),
                entities(sections.getOrDefault(PanelField.PLACES, none), "Places", source),
                String.join(" ", sections.getOrDefault(PanelField.PLAN, none)),
                String.join(" ", sections.getOrDefault(PanelField.SHORT_TERM_MEMORY, none)),
                sections.getOrDefault(PanelField.LONG_TERM_MEMORY, none).stream()
                        .map(l -> l.startsWith(ITEM) ? l.substring(ITEM.length()) : l).toList());
    }

    private static PanelField fieldOfHeader(String header, String where) {
        for (PanelField f : PanelField.values()) {
            if (f.header().equalsIgnoreCase(header)) {
                return f;
            }
        }
        throw new DataException(where + ": unknown section '## " + header + "' (known: "
                + Arrays.stream(PanelField.values()).map(PanelField::header).collect(Collectors.joining(", ")) + ")");
    }

    private static List<ConditionPanel.Entity> entities(List<String> lines, String section, String source) {
        List<ConditionPanel.Entity> out = new ArrayList<>();
        for (String line : lines) {
            if (!line.startsWith(ITEM)) {
                throw new DataException(source + ": section '" + section + "': expected '- name: description', got '"
                        + abbreviate(line) + "'");
            }
            String entry = line.substring(ITEM.length());
            int colon = entry.indexOf(':');
            String name = colon < 0 ? entry : entry.substring(0, colon);
            String description = colon < 0 ? "" : entry.substring(colon + 1);
            if (name.isBlank()) {
                throw new DataException(source + ": section '" + section + "': entry without a name: '"
                        + abbreviate(line) + "'");
            }
            out.add(new ConditionPanel.Entity(name, description));
        }
        return out;
    }

    private static String abbreviate(String line) {
        return line.length() <= 60 ? line : line.substring(0, 57) + "...";
    }
}
