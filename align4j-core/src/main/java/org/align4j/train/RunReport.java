package org.align4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The HTML page at the end of a run ({@value #FILE_NAME} in the run folder), made from what the folder holds so that
 * every trainer gets the same page: the final training, evaluation and summary metrics of {@code metrics.jsonl},
 * the completions of a trainer that generates ({@value #COMPLETIONS_FILE}), the PNG curves beside it, and the
 * resolved configuration ({@code training_args.json} and the algorithm's
 * {@code *_config.json}). It is rewritten whenever a trainer adds to the folder (DPO's curves, say), and written to a
 * temporary file, then renamed.
 */
public final class RunReport {
    /** The report's file name in the run folder. */
    public static final String FILE_NAME = "report.html";
    /** Completions a trainer that generates shows (one JSON object a line: prompt, completion, score). */
    public static final String COMPLETIONS_FILE = "completions.jsonl";

    /**
     * One completion a trainer generated, for the report's samples table.
     *
     * @param prompt     the prompt's text
     * @param completion the generated text
     * @param score      its reward
     */
    public record Completion(String prompt, String completion, double score) {
    }

    /** Writes {@code completions} as {@value #COMPLETIONS_FILE} of the run folder (replaced atomically). */
    public static void writeCompletions(RunFolder run, List<Completion> completions) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (Completion c : completions) {
            lines.append(JSON.writeValueAsString(JSON.createObjectNode().put("prompt", c.prompt())
                    .put("completion", c.completion()).put("score", c.score()))).append('\n');
        }
        run.replace(COMPLETIONS_FILE, file -> Files.writeString(file, lines, StandardCharsets.UTF_8));
    }
    private static final ObjectMapper JSON = new ObjectMapper();

    private RunReport() {
    }

    /** Writes the report of the run folder {@code run}, headed {@code title} (e.g. "DPO"). */
    public static void write(RunFolder run, String title) throws IOException {
        Path dir = run.directory();
        StringBuilder html = new StringBuilder();
        html.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").append(escape(title))
                .append(" run</title>\n<style>body{font-family:sans-serif;max-width:70em;margin:2em auto}"
                        + "table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #ccc;"
                        + "padding:.2em .6em;text-align:left}img{max-width:100%}</style></head><body>\n");
        html.append("<h1>").append(escape(title)).append(" run: ").append(escape(dir.toAbsolutePath().toString()))
                .append("</h1>\n");
        List<JsonNode> entries = metrics(dir.resolve(RunFolder.METRICS_FILE));
        html.append("<h2>Final metrics</h2>\n");
        for (String key : List.of("loss", "eval_loss", "train_runtime")) {
            JsonNode last = null;
            for (JsonNode entry : entries) {
                if (entry.has(key)) {
                    last = entry;
                }
            }
            if (last != null) {
                html.append("<h3>").append(key.equals("loss") ? "last training log" : key.equals("eval_loss")
                        ? "last evaluation" : "summary").append("</h3>\n").append(table(last));
            }
        }
        if (entries.isEmpty()) {
            html.append("<p>nothing was logged</p>\n");
        }
        List<JsonNode> samples = metrics(dir.resolve(COMPLETIONS_FILE));
        if (!samples.isEmpty()) {
            html.append("<h2>Samples</h2>\n<table>\n<tr><th>prompt</th><th>completion</th><th>score</th></tr>\n");
            for (JsonNode s : samples) {
                html.append("<tr><td>").append(escape(s.path("prompt").asText())).append("</td><td>")
                        .append(escape(s.path("completion").asText())).append("</td><td>")
                        .append(s.path("score").asDouble()).append("</td></tr>\n");
            }
            html.append("</table>\n");
        }
        html.append("<h2>Curves</h2>\n");
        try (Stream<Path> files = Files.list(dir)) {
            for (Path png : files.filter(f -> f.getFileName().toString().endsWith(".png")).sorted().toList()) {
                String name = png.getFileName().toString();
                html.append("<p><img src=\"").append(escape(name)).append("\" alt=\"").append(escape(name))
                        .append("\"></p>\n");
            }
        }
        html.append("<h2>Configuration</h2>\n");
        try (Stream<Path> files = Files.list(dir)) {
            for (Path config : files.filter(f -> isConfig(f.getFileName().toString())).sorted().toList()) {
                html.append("<h3>").append(escape(config.getFileName().toString())).append("</h3>\n")
                        .append(table(RunFolder.readJson(config)));
            }
        }
        html.append("</body></html>\n");
        run.replace(FILE_NAME, file -> Files.writeString(file, html, StandardCharsets.UTF_8));
    }

    private static boolean isConfig(String name) {
        return name.equals("training_args.json") || name.endsWith("_config.json") && !name.equals("adapter_config.json")
                && !name.equals("generation_config.json") && !name.equals("tokenizer_config.json");
    }

    private static List<JsonNode> metrics(Path file) throws IOException {
        List<JsonNode> entries = new ArrayList<>();
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    entries.add(JSON.readTree(line));
                }
            }
        }
        return entries;
    }

    private static String table(JsonNode object) {
        StringBuilder rows = new StringBuilder("<table>\n");
        for (Iterator<Map.Entry<String, JsonNode>> it = object.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            rows.append("<tr><th>").append(escape(e.getKey())).append("</th><td>")
                    .append(escape(e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()))
                    .append("</td></tr>\n");
        }
        return rows.append("</table>\n").toString();
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
