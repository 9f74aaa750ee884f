package org.align4j.data.panels;


import com.fasterxml.jackson.databind.JsonNode;







import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.align4j.data.BrownCorpus;
import org.align4j.data.DataException;
import org.align4j.data.JsonlDataset;

/**
 * A text split into paragraphs, the unit panels are built over.
 *
 * @param id         the text's id (or {@code file:line} when the input had none)
 * @param paragraphs its paragraphs, in order, none blank
 */
public record Story(String id, List<String> paragraphs) {

    /** Copies the paragraphs, collapsing whitespace; rejects a story without paragraphs. */
    public Story {
        paragraphs = paragraphs.stream().map(ConditionPanel::oneLine).filter(p -> !p.isEmpty()).toList();
        if (paragraphs.isEmpty()) {
            throw new DataException(id + ": the text has no paragraphs");
        }
    }

    /** The bundled Brown fiction ({@link BrownCorpus}), one story per text; its "paragraphs" are sentences. */
    public static List<Story> brownFiction() {
        return BrownCorpus.documents().stream().map(d -> new Story(d.id(), d.paragraphs())).toList();
    }

    /**
     * The stories of a JSONL file: each line is {@code {"paragraphs": [...]}} (the Brown format, with optional
     * {@code "id"} and other fields) or {@code {"text": "..."}} (split into paragraphs at blank lines, or at line breaks
     * when it has no blank line). Problems are {@link DataException}s naming {@code file:line} and the field.
     */
    public static List<Story> read(Path file) {
        return JsonlDataset.readLines(file, Story::parse);
    }

    private static Story parse(String line, String source) {
        JsonNode node = JsonlDataset.object(line, source);
        JsonNode id = node.get("id");
        if (id != null && !id.isTextual() && !id.isNumber()) {
            throw new DataException(source + ": field 'id' must be a string or a number");
        }
        String name = id == null ? source : id.asText();
        List<String> paragraphs = new ArrayList<>();
        JsonNode list = node.get("paragraphs");
        JsonNode text = node.get("text");
        if (list != null) {
            if (!list.isArray()) {
                throw new DataException(source + ": field 'paragraphs' must be a list of strings");
            }
            for (int i = 0; i < list.size(); i++) {
                if (!list.get(i).isTextual()) {
                    throw new DataException(source + ": field 'paragraphs[" + i + "]' must be a string");
                }
                paragraphs.add(list.get(i).asText());
            }
        } else if (text != null) {
            if (!text.isTextual()) {
                throw new DataException(source + ": field 'text' must be a string");
            }
            String t = text.asText().replace("\r\n", "\n");
            paragraphs.addAll(List.of(t.split(t.matches("(?s).*\\n\\s*\\n.*") ? "\\n\\s*\\n" : "\\n")));
        } else {
            throw new DataException(source + ": expected a field 'paragraphs' (list of strings) or 'text'");
        }
        if (paragraphs.stream().allMatch(String::isBlank)) {
            throw new DataException(source + ": the text has no paragraphs");
        }
        return new Story(name, paragraphs);
    }

    /**
     * This story with consecutive paragraphs merged into paragraphs of at most {@code maxWords} words (a longer
     * paragraph stays alone); 0 keeps the paragraphs as they are. The bundled Brown corpus stores sentences, which
     * this turns into paragraph-sized units.
     */
    public Story regrouped(int maxWords) {
        if (maxWords <= 0) {
            return this;
        }
        List<String> merged = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int words = 0;
        for (String p : paragraphs) {
            int n = Prose.wordCount(p);
            if (words > 0 && words + n > maxWords) {
                merged.add(current.toString());
                current.setLength(0);
                words = 0;
            }
            current.append(current.isEmpty() ? "" : " ").append(p);
            words += n;
        }
        merged.add(current.toString());
        return new Story(id, merged);
    }
}
