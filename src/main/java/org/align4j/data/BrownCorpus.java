package org.align4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The bundled corpus: the fiction and humor genres of the Brown Corpus (Francis &amp; Kucera 1964/1979,
 * "redistribution permitted"; see {@code data/NOTICE.md}), 126 texts with their paragraphs.
 */
public final class BrownCorpus {
    private static final String RESOURCE = "/data/brown-fiction.jsonl";

    /** One text of the corpus. */
    public record Document(String id, String genre, List<String> paragraphs) {
        /** The paragraphs joined by newlines. */
        public String text() {
            return String.join("\n", paragraphs);
        }
    }

    private BrownCorpus() {
    }

    /** All documents, in corpus order. */
    public static List<Document> documents() {
        ObjectMapper json = new ObjectMapper();
        List<Document> docs = new ArrayList<>();
        try (InputStream raw = BrownCorpus.class.getResourceAsStream(RESOURCE)) {
            if (raw == null) {
                throw new IllegalStateException("bundled resource " + RESOURCE + " is missing from the jar");
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(raw, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                JsonNode n = json.readTree(line);
                List<String> paragraphs = new ArrayList<>();
                n.get("paragraphs").forEach(p -> paragraphs.add(p.asText()));
                docs.add(new Document(n.get("id").asText(), n.get("genre").asText(), List.copyOf(paragraphs)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.copyOf(docs);
    }

    /** Every paragraph of every document, in order. */
    public static List<String> paragraphs() {
        return documents().stream().flatMap(d -> d.paragraphs().stream()).toList();
    }
}
