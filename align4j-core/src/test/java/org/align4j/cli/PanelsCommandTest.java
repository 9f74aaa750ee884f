package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.align4j.Captured;
import org.align4j.data.ConditionedExample;
import org.align4j.data.JsonlDataset;
import org.align4j.data.panels.ConditionPanel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code align4j panels build} and {@code align4j write} end to end, the model ones on a tiny random model. */
class PanelsCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static Path model;
    static Path texts;

    @BeforeAll
    static void tinyModelAndTexts() throws IOException {
        model = SmallTextModel.write(tmp.resolve("model"));
        texts = tmp.resolve("texts.jsonl");
        Files.write(texts, List.of(
                "{\"id\": \"farm\", \"paragraphs\": [\"Anna walked in from Boston.\", \"Tom and Anna talked.\","
                        + " \"Tom left for Boston.\"]}",
                "{\"text\": \"Rain fell on the town.\\n\\nMary waited for Joe.\"}"));
    }

    @Test
    void buildsExamplesOfBothTasksOrPanels() throws IOException {
        Path out = tmp.resolve("examples.jsonl");
        assertEquals(0, Main.run("panels", "build", "--input", texts.toString(), "--output", out.toString()));
        List<ConditionedExample> examples = JsonlDataset.readConditioned(out);
        assertEquals(6, examples.size(), "2 + 1 panels, each as a write and a build example");
        assertTrue(examples.stream().allMatch(e -> e.condition().equals("extractive")));
        List<String> lines = Files.readAllLines(out);
        assertEquals("farm:1", JSON.readTree(lines.get(0)).get("source").asText());
        assertEquals("write", JSON.readTree(lines.get(0)).get("task").asText());
        assertEquals("Tom and Anna talked.", JSON.readTree(lines.get(0)).get("completion").asText());
        assertTrue(JSON.readTree(lines.get(1)).get("prompt").asText().startsWith("## Paragraphs\n"));

        Path panels = tmp.resolve("panels.jsonl");
        assertEquals(0, Main.run("panels", "build", "--input", texts.toString(), "--output", panels.toString(),
                "--format", "panels", "--paragraph-words", "9"));
        List<String> rows = Files.readAllLines(panels);
        assertEquals(1, rows.size(), "each text's first two paragraphs merged, leaving one panel in all");
        JsonNode row = JSON.readTree(rows.get(0));
        assertEquals("Tom left for Boston.", row.get("paragraph").asText());
        assertEquals(List.of("Anna walked in from Boston. Tom and Anna talked."),
                ConditionPanel.fromJson(row.get("panel").toString(), "row").latestParagraphs());
    }

    @Test
    void modelBuilderRetriesThenFailsOrFallsBack() {
        Path out = tmp.resolve("model-panels.jsonl");
        String err = Captured.stderr(() -> assertEquals(2, Main.run("panels", "build", "--input", texts.toString(),
                "--output", out.toString(), "--builder", "model", "--model", model.toString(), "--attempts", "2",
                "--max-new-tokens", "6")));
        assertTrue(err.startsWith("align4j build: farm:1: the model's panel did not parse in 2 attempts"), err);
        assertEquals(1, err.strip().split("\n").length, err);
        assertEquals(0, Main.run("panels", "build", "--input", texts.toString(), "--output", out.toString(),
                "--builder", "model", "--model", model.toString(), "--attempts", "1", "--max-new-tokens", "6",
                "--fallback-extractive", "--condition", "tiny", "--tasks", "write"));
        assertEquals(3, JsonlDataset.readConditioned(out).size());
    }

    @Test
    void writesAStoryFromAPanel() throws IOException {
        Path panel = tmp.resolve("panel.json");
        Files.writeString(panel, new ConditionPanel(List.of("Anna walked in from Boston."), List.of(), List.of(),
                "Anna meets Tom.", "", List.of()).toJson());
        Path steps = tmp.resolve("story.jsonl");
        assertEquals(0, Main.run("write", "--model", model.toString(), "--panel", panel.toString(), "--steps", "2",
                "--max-new-tokens", "8", "--output", steps.toString()));
        List<String> lines = Files.readAllLines(steps);
        assertEquals(2, lines.size());
        JsonNode second = JSON.readTree(lines.get(1));
        assertEquals(JSON.readTree(lines.get(0)).get("paragraph").asText(),
                second.get("panel").get("latest_paragraphs").get(0).asText(), "the panel moves on");
        assertEquals("Anna meets Tom.", second.get("panel").get("plan").asText());
    }

    @Test
    void badInputIsOneLineWithExitCodeTwo() throws IOException {
        Path bad = tmp.resolve("bad.jsonl");
        Files.write(bad, List.of("{\"paragraphs\": [\"a\", \"b\"]}", "{\"paragraphs\": \"a b\"}"));
        Path badPanel = tmp.resolve("bad-panel.json");
        Files.writeString(badPanel, "{\"characters\": [{\"description\": \"no name\"}]}");
        String err = Captured.stderr(() -> {
            assertEquals(2, Main.run("panels", "build", "--input", bad.toString(), "--output",
                    tmp.resolve("x.jsonl").toString()));
            assertEquals(2, Main.run("write", "--model", model.toString(), "--panel", badPanel.toString()));
            assertEquals(2, Main.run("panels", "build", "--output", tmp.resolve("x.jsonl").toString(), "--builder",
                    "model"));
        });
        String[] lines = err.strip().split("\n");
        assertEquals(3, lines.length, err);
        assertTrue(lines[0].contains("bad.jsonl:2: field 'paragraphs' must be a list of strings"), lines[0]);
        assertTrue(lines[1].contains("bad-panel.json: field 'characters[0]': a name must not be blank"), lines[1]);
        assertTrue(lines[2].contains("--builder model needs --model DIR"), lines[2]);
    }
}
