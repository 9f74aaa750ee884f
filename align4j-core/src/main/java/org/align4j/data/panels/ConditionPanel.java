package org.align4j.data.panels;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.align4j.data.DataException;

/**
 * A condition panel: the context a writer is given before writing the next paragraph of a story, as RecurrentGPT
 * keeps it (Zhou et al. 2023, "RecurrentGPT: Interactive Generation of (Arbitrarily) Long Text", arXiv 2305.13304):
 * the latest paragraph(s), the characters and places with their descriptions, the author's plan for what comes next,
 * a short-term memory (summary of the recent story) and a long-term memory (the earlier paragraphs most relevant
 * now). Conditioning on a rich panel turns open-ended writing into "writing with assigned materials".
 *
 * <p>In JSON the fields are {@code latest_paragraphs}, {@code characters} and {@code places} (lists of
 * {@code {"name", "description"}}), {@code plan}, {@code short_term_memory} and {@code long_term_memory}; absent fields
 * are empty. Whitespace in every text is collapsed to single spaces, so that the rendered panel ({@link PanelText})
 * has one line per entry and parses back to the same panel.
 *
 * @param latestParagraphs the paragraph(s) just before the one to write, oldest first
 * @param characters       the characters, most relevant first
 * @param places           the places, most relevant first
 * @param plan             the author's plan and goals for the next paragraph ("" when none)
 * @param shortTermMemory  a summary of the recent story ("" when none)
 * @param longTermMemory   earlier paragraphs relevant now, in story order
 */
@JsonPropertyOrder({"latest_paragraphs", "characters", "places", "plan", "short_term_memory", "long_term_memory"})
public record ConditionPanel(
        @JsonProperty("latest_paragraphs") List<String> latestParagraphs,
        @JsonProperty("characters") List<Entity> characters,
        @JsonProperty("places") List<Entity> places,
        @JsonProperty("plan") String plan,
        @JsonProperty("short_term_memory") String shortTermMemory,
        @JsonProperty("long_term_memory") List<String> longTermMemory) {

    /** The panel with every field empty. */
    public static final ConditionPanel EMPTY = new ConditionPanel(List.of(), List.of(), List.of(), "", "", List.of());

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /**
     * A named thing of the story with what the text says about it.
     *
     * @param name        the name as the text writes it (no ':' and not blank)
     * @param description what the text says about it ("" when nothing)
     */
    @JsonPropertyOrder({"name", "description"})
    public record Entity(@JsonProperty("name") String name, @JsonProperty("description") String description) {
        /** Collapses whitespace; rejects a blank name or one with ':' (the rendered entry separates at ':'). */
        public Entity {
            name = oneLine(name);
            description = oneLine(description);
            if (name.isEmpty()) {
                throw new IllegalArgumentException("a name must not be blank");
            }
            if (name.contains(":")) {
                throw new IllegalArgumentException("name '" + name + "' must not contain ':'");
            }
        }
    }

    /** Collapses the whitespace of every text; null fields become empty. */
    public ConditionPanel {
        latestParagraphs = texts(latestParagraphs);
        characters = characters == null ? List.of() : List.copyOf(characters);
        places = places == null ? List.of() : List.copyOf(places);
        plan = oneLine(plan);
        shortTermMemory = oneLine(shortTermMemory);
        longTermMemory = texts(longTermMemory);
    }

    private static List<String> texts(List<String> texts) {
        if (texts == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>(texts.size());
        for (String t : texts) {
            String line = oneLine(t);
            if (!line.isEmpty()) {
                out.add(line);
            }
        }
        return List.copyOf(out);
    }

    /** {@code text} with runs of whitespace replaced by one space and stripped; null becomes "". */
    static String oneLine(String text) {
        return text == null ? "" : text.strip().replaceAll("\\s+", " ");
    }

    /** Whether {@code field} holds nothing. */
    public boolean isEmpty(PanelField field) {
        return switch (field) {
            case LATEST_PARAGRAPHS -> latestParagraphs.isEmpty();
            case CHARACTERS -> characters.isEmpty();
            case PLACES -> places.isEmpty();
            case PLAN -> plan.isEmpty();
            case SHORT_TERM_MEMORY -> shortTermMemory.isEmpty();
            case LONG_TERM_MEMORY -> longTermMemory.isEmpty();
        };
    }

    /** This panel with {@code fields} taken from {@code other} (the rest kept). */
    public ConditionPanel replacing(Set<PanelField> fields, ConditionPanel other) {
        return new ConditionPanel(
                fields.contains(PanelField.LATEST_PARAGRAPHS) ? other.latestParagraphs : latestParagraphs,
                fields.contains(PanelField.CHARACTERS) ? other.characters : characters,
                fields.contains(PanelField.PLACES) ? other.places : places,
                fields.contains(PanelField.PLAN) ? other.plan : plan,
                fields.contains(PanelField.SHORT_TERM_MEMORY) ? other.shortTermMemory : shortTermMemory,
                fields.contains(PanelField.LONG_TERM_MEMORY) ? other.longTermMemory : longTermMemory);
    }

    /** This panel with {@code field} emptied (the ablation that removes one field). */
    public ConditionPanel without(PanelField field) {
        return replacing(Set.of(field), EMPTY);
    }

    /** This panel keeping only {@code fields} (the others emptied). */
    public ConditionPanel only(Set<PanelField> fields) {
        return EMPTY.replacing(fields, this);
    }

    /** The panel as one line of JSON. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a panel always serialises", e);
        }
    }

    /**
     * Parses a panel from JSON; a malformed document, an unknown field or a bad value is a {@link DataException}
     * naming {@code source} and the field.
     */
    public static ConditionPanel fromJson(String json, String source) {
        try {
            ConditionPanel panel = JSON.readValue(json, ConditionPanel.class);
            if (panel == null) {
                throw new DataException(source + ": expected a panel object, got null");
            }
            return panel;
        } catch (JsonMappingException e) {
            throw new DataException(source + ": " + fieldOf(e) + describe(e));
        } catch (JsonProcessingException e) {
            throw new DataException(source + ": malformed JSON: " + e.getOriginalMessage());
        }
    }

    /** Reads the panel in {@code file} (one JSON object). */
    public static ConditionPanel read(Path file) {
        try {
            return fromJson(Files.readString(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": no such file");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    private static String fieldOf(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                path.append(path.isEmpty() ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                path.append('[').append(r.getIndex()).append(']');
            }
        }
        return path.isEmpty() ? "" : "field '" + path + "': ";
    }

    private static String describe(JsonMappingException e) {
        Throwable cause = e.getCause();
        if (cause instanceof IllegalArgumentException) {
            return cause.getMessage();
        }
        String message = e.getOriginalMessage();
        int cut = message.indexOf(" (");
        return (cut > 0 ? message.substring(0, cut) : message).replace('\n', ' ');
    }
}
