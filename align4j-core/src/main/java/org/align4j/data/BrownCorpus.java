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
    /** Every this-many-th text is held out by {@link #languageModelingSplit}. */
    public static final int HELD_OUT_EVERY = 21;

    /** One text of the corpus. */
    public record Document(String id, String genre, List<String> paragraphs) {
        /** The paragraphs joined by newlines. */
        public String text() {
            return String.join("\n", paragraphs);
        }
    }

    /** The corpus as language-modelling examples, one per text: training and held-out texts. */
    public record Split(List<Example> train, List<Example> heldOut) {
    }

    private BrownCorpus() {
    }

    /**
     * The first {@code count} texts (all of them for {@code count <= 0}) as language-modelling examples named by their
     * ids, every {@link #HELD_OUT_EVERY}-th one (the 21st, 42nd, ...) held out: 6 of the 126 texts. The demo, the
     * sentiment task and the experiments that fine-tune on the corpus all split it this way.
     */
    public static Split languageModelingSplit(int count) {
        List<Document> docs = documents();
        int n = count > 0 ? Math.min(count, docs.size()) : docs.size();
        List<Example> train = new ArrayList<>();
        List<Example> heldOut = new ArrayList<>();
        for (int d = 0; d < n; d++) {
            Example e = new Example.LanguageModeling(docs.get(d).id(), new Text.Plain(docs.get(d).text()));
            (d % HELD_OUT_EVERY == HELD_OUT_EVERY - 1 ? heldOut : train).add(e);
        }
        return new Split(List.copyOf(train), List.copyOf(heldOut));
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
