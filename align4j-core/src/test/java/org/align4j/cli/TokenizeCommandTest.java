package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizeCommandTest {
    @TempDir
    Path dir;

    private static final String QWEN3 = fixture("qwen3");

    private static String fixture(String name) {
        try {
            return Path.of(TokenizeCommandTest.class.getResource("/fixtures/tokenizers/" + name).toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }


    @Test
    void encodesTextAndFiles() throws Exception {
        CliRun text = CliRun.of("tokenize", "--tokenizer", QWEN3, "--text", "Hello, world!");
        assertEquals(new CliRun(0, "[9707,11,1879,0]\n", ""), text);
        Path file = Files.writeString(dir.resolve("in.txt"), "Hello, world!");
        assertEquals(text, CliRun.of("tokenize", "--tokenizer", QWEN3, "--file", file.toString(),
                "--add-special-tokens"));
    }

    @Test
    void rendersAndEncodesChats() throws Exception {
        Path chat = Files.writeString(dir.resolve("chat.json"),
                "[{\"role\": \"user\", \"content\": \"Write a haiku about the sea.\"}]");
        CliRun run = CliRun.of("tokenize", "--tokenizer", QWEN3, "--chat", chat.toString(), "--add-generation-prompt");
        assertEquals(new CliRun(0, "{\"text\":\"<|im_start|>user\\nWrite a haiku about the sea.<|im_end|>\\n"
                + "<|im_start|>assistant\\n\",\"ids\":[151644,872,198,7985,264,6386,38242,911,279,9396,13,151645,198,"
                + "151644,77091,198]}\n", ""), run);
        Path withVariables = Files.writeString(dir.resolve("vars.json"),
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"enable_thinking\": false}");
        CliRun noThinking = CliRun.of("tokenize", "--tokenizer", QWEN3, "--chat", withVariables.toString(),
                "--add-generation-prompt");
        assertTrue(noThinking.out().contains("<|im_start|>assistant\\n<think>\\n\\n</think>\\n\\n\""),
                noThinking.out());
    }

    @Test
    void badInputIsOneLineAndExitCode2() throws Exception {
        CliRun missingDir = CliRun.of("tokenize", "--tokenizer", dir.resolve("none").toString(), "--text", "x");
        assertEquals(new CliRun(2, "",
                "align4j tokenize: " + dir.resolve("none") + ": no such tokenizer directory\n"),
                missingDir);
        CliRun missingFile = CliRun.of("tokenize", "--tokenizer", QWEN3, "--file", dir.resolve("none.txt").toString());
        assertEquals(new CliRun(2, "", "align4j tokenize: " + dir.resolve("none.txt") + ": file not found\n"),
                missingFile);
        Path bad = Files.writeString(dir.resolve("bad.json"), "[\n  {\"role\": \"user\",\n   \"content\": }\n]");
        CliRun malformed = CliRun.of("tokenize", "--tokenizer", QWEN3, "--chat", bad.toString());
        assertEquals(2, malformed.exitCode());
        assertTrue(malformed.err().startsWith("align4j tokenize: " + bad + ": malformed JSON at line 3, column 15: "),
                malformed.err());
        assertEquals(1, malformed.err().lines().count());
        Path notMessages = Files.writeString(dir.resolve("obj.json"), "{\"role\": \"user\"}");
        assertEquals(2, CliRun.of("tokenize", "--tokenizer", QWEN3, "--chat", notMessages.toString()).exitCode());
        Path emptyChat = Files.writeString(dir.resolve("c.json"), "[]");
        Path plain = Files.createDirectory(dir.resolve("plain"));
        try (InputStream json = TokenizeCommandTest.class.getResourceAsStream("/embedded/tokenizer/tokenizer.json")) {
            Files.copy(json, plain.resolve("tokenizer.json"));
        }
        CliRun noTemplate = CliRun.of("tokenize", "--tokenizer", plain.toString(), "--chat", emptyChat.toString());
        assertEquals(new CliRun(2, "", "align4j tokenize: " + plain + ": the tokenizer has no chat template\n"),
                noTemplate);
    }

    @Test
    void requiresExactlyOneInput() {
        assertEquals(2, CliRun.of("tokenize", "--tokenizer", QWEN3).exitCode());
        assertEquals(2, CliRun.of("tokenize", "--tokenizer", QWEN3, "--text", "a", "--file", "b").exitCode());
    }
}
