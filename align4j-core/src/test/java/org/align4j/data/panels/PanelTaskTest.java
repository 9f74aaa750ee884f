package org.align4j.data.panels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.align4j.data.ConditionedExample;
import org.align4j.data.Example;
import org.align4j.data.JsonlDataset;
import org.align4j.data.Text;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The two training tasks, their JSONL rows, and reading texts. */
class PanelTaskTest {
    @TempDir
    Path tmp;

    @Test
    void writeAndBuildExamplesReadBackAsConditionedData() throws IOException {
        ParagraphPanel last = new ExtractivePanelBuilder(PanelSizes.defaults()).build(ExtractivePanelBuilderTest.STORY)
                .getLast();
        PanelExample write = PanelTask.WRITE.example(last, 3, "extractive");
        assertEquals(PanelText.writingPrompt(last.panel()), write.prompt());
        assertEquals(last.paragraph(), write.completion());
        PanelExample build = PanelTask.BUILD.example(last, 3, "extractive");
        assertEquals(PanelText.buildingPrompt(ExtractivePanelBuilderTest.STORY.paragraphs().subList(1, 5)),
                build.prompt());
        assertEquals(last.panel().only(PanelField.SUMMARISED), PanelText.parse(build.completion(),
                PanelField.SUMMARISED, "completion"));
        Path file = tmp.resolve("examples.jsonl");
        Files.write(file, List.of(write.toJson().toString(), build.toJson().toString()));
        List<ConditionedExample> read = JsonlDataset.readConditioned(file);
        assertEquals("extractive", read.get(1).condition());
        assertEquals(new Example.PromptCompletion("examples.jsonl:1", new Text.Plain(write.prompt()),
                new Text.Plain(write.completion())), read.get(0).example());
        assertEquals("build", build.toJson().get("task").asText());
        assertEquals("farm:4", build.toJson().get("source").asText());
    }

    @Test
    void readsParagraphsOrTextAndNamesBadLines() throws IOException {
        Path file = tmp.resolve("texts.jsonl");
        Files.write(file, List.of("{\"id\": \"a\", \"genre\": \"x\", \"paragraphs\": [\"One.\", \"Two.\"]}", "",
                "{\"text\": \"First para.\\n\\nSecond\\npara.\"}", "{\"text\": \"Line one.\\nLine two.\"}"));
        List<Story> stories = Story.read(file);
        assertEquals(new Story("a", List.of("One.", "Two.")), stories.get(0));
        assertEquals(new Story("texts.jsonl:3", List.of("First para.", "Second para.")), stories.get(1));
        assertEquals(List.of("Line one.", "Line two."), stories.get(2).paragraphs());
        Files.write(file, List.of("{\"paragraphs\": [\"ok\"]}", "{\"paragraphs\": [\"ok\", 3]}"));
        PanelTextTest.assertMessage("texts.jsonl:2: field 'paragraphs[1]' must be a string", () -> Story.read(file));
        Files.write(file, List.of("{\"title\": \"x\"}"));
        PanelTextTest.assertMessage("texts.jsonl:1: expected a field 'paragraphs'", () -> Story.read(file));
        Files.write(file, List.of("{\"text\": \"  \"}"));
        PanelTextTest.assertMessage("texts.jsonl:1: the text has no paragraphs", () -> Story.read(file));
        PanelTextTest.assertMessage(tmp.resolve("none.jsonl") + ": no such file",
                () -> Story.read(tmp.resolve("none.jsonl")));
        assertTrue(Story.brownFiction().size() > 100);
    }
}
