package org.align4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TRL's dataset formats from JSONL, and the one-line errors for bad lines. */
class JsonlDatasetTest {
    @TempDir
    Path tmp;

    private Path file(String... lines) throws IOException {
        Path f = tmp.resolve("data.jsonl");
        Files.write(f, List.of(lines));
        return f;
    }

    @Test
    void detectsEveryFormat() throws IOException {
        List<Example> ex = JsonlDataset.read(file(
                "{\"text\": \"Once upon a time\"}",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"hello\"}]}",
                "{\"prompt\": \"The sky is\", \"completion\": \" blue.\"}",
                "",
                "{\"prompt\": [{\"role\": \"user\", \"content\": \"sky?\"}], \"completion\": [{\"role\": \"assistant\", \"content\": \"blue\"}]}",
                "{\"prompt\": \"The sky is\", \"chosen\": \" blue.\", \"rejected\": \" green.\"}",
                "{\"chosen\": \"The sky is blue.\", \"rejected\": \"The sky is green.\"}",
                "{\"prompt_ids\": [1, 2], \"chosen_ids\": [3], \"rejected_ids\": [4, 5]}",
                "{\"prompt\": \"Write a story\"}"));
        assertEquals(8, ex.size());
        assertEquals(new Text.Plain("Once upon a time"), ((Example.LanguageModeling) ex.get(0)).text());
        Text.Conversation conv = (Text.Conversation) ((Example.LanguageModeling) ex.get(1)).text();
        assertEquals(new Message("assistant", "hello"), conv.messages().get(1));
        assertEquals(new Text.Plain(" blue."), ((Example.PromptCompletion) ex.get(2)).completion());
        assertEquals("data.jsonl:5", ex.get(3).source());
        assertInstanceOf(Text.Conversation.class, ((Example.PromptCompletion) ex.get(3)).prompt());
        assertEquals(new Text.Plain(" green."), ((Example.Preference) ex.get(4)).rejected());
        assertNull(((Example.Preference) ex.get(5)).prompt(), "implicit prompt");
        assertArrayEquals(new int[] {4, 5}, ((Example.TokenizedPreference) ex.get(6)).rejectedIds());
        assertInstanceOf(Example.PromptOnly.class, ex.get(7));
    }

    @Test
    void badLinesNameFileLineAndField() throws IOException {
        assertEquals("data.jsonl:2: malformed JSON: Unexpected end-of-input: expected close marker for Object",
                assertThrows(DataException.class, () -> JsonlDataset.read(file("{\"text\": \"a\"}", "{\"text\": \"b\"")))
                        .getMessage().replaceAll(" \\(start marker.*", ""));
        assertEquals("data.jsonl:1: field 'rejected' must be a string or a list of messages, got number",
                assertThrows(DataException.class, () -> JsonlDataset.read(file(
                        "{\"prompt\": \"p\", \"chosen\": \"c\", \"rejected\": 3}"))).getMessage());
        assertEquals("data.jsonl:1: missing field 'rejected' (the line has chosen, prompt)",
                assertThrows(DataException.class, () -> JsonlDataset.read(file("{\"prompt\": \"p\", \"chosen\": \"c\"}")))
                        .getMessage());
        assertEquals("data.jsonl:1: missing field 'chosen' (the line has choosen, prompt, rejected; is 'choosen' a"
                + " misspelling of it?)", assertThrows(DataException.class, () -> JsonlDataset.read(file(
                        "{\"prompt\": \"p\", \"choosen\": \"c\", \"rejected\": \"r\"}"))).getMessage());
        assertEquals("data.jsonl:1: field 'messages[0]' needs a string 'content'",
                assertThrows(DataException.class, () -> JsonlDataset.read(file("{\"messages\": [{\"role\": \"user\"}]}")))
                        .getMessage());
        assertEquals("data.jsonl:1: field 'chosen_ids[1]' must be a non-negative integer, got -2",
                assertThrows(DataException.class, () -> JsonlDataset.read(file(
                        "{\"prompt_ids\": [1], \"chosen_ids\": [1, -2], \"rejected_ids\": [3]}"))).getMessage());
        assertEquals("data.jsonl:1: expected a JSON object, got array",
                assertThrows(DataException.class, () -> JsonlDataset.read(file("[1, 2]"))).getMessage());
        assertThrows(DataException.class, () -> JsonlDataset.read(file("{\"label\": true}")));
        assertEquals(tmp.resolve("none.jsonl") + ": no such file",
                assertThrows(DataException.class, () -> JsonlDataset.read(tmp.resolve("none.jsonl"))).getMessage());
    }

    /** Nothing is read past or around a line's object, and lines are counted as the file's \n-ended lines. */
    @Test
    void linesAreStrictJsonCountedByNewlines() throws IOException {
        for (String bad : List.of("{\"text\": \"a\"} x", "{\"text\": \"a\"}]", "{\"text\": \"a\"} {\"text\": \"b\"}",
                "{\"text\": \"a\", \"text\": \"b\"}")) {
            DataException e = assertThrows(DataException.class, () -> JsonlDataset.read(file("{\"text\": \"ok\"}", bad)),
                    bad);
            assertTrue(e.getMessage().startsWith("data.jsonl:2: malformed JSON: "), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        }
        Path crlf = tmp.resolve("crlf.jsonl");
        Files.write(crlf, "{\"text\": \"a\"}\r\n\r\r\n{\"text\": 3}\r\n".getBytes(StandardCharsets.UTF_8));
        DataException e = assertThrows(DataException.class, () -> JsonlDataset.read(crlf));
        assertTrue(e.getMessage().startsWith("crlf.jsonl:3: "), "\\r\\r\\n ends one line: " + e.getMessage());
        Path latin1 = tmp.resolve("latin1.jsonl");
        byte[] good = "{\"text\": \"ok\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] bad = {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xE9, '"', '}'};
        byte[] both = java.util.Arrays.copyOf(good, good.length + bad.length);
        System.arraycopy(bad, 0, both, good.length, bad.length);
        Files.write(latin1, both);
        assertEquals("latin1.jsonl:2: not UTF-8 text",
                assertThrows(DataException.class, () -> JsonlDataset.read(latin1)).getMessage());
        Path bom = tmp.resolve("bom.jsonl");
        Files.write(bom, "\uFEFF{\"text\": \"a\"}\n".getBytes(StandardCharsets.UTF_8));
        assertTrue(assertThrows(DataException.class, () -> JsonlDataset.read(bom)).getMessage()
                .startsWith("bom.jsonl:1: starts with a byte-order mark"));
    }
}
