package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
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

    /** Exit code, standard output and standard error of one {@code align4j} run. */
    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void encodesTextAndFiles() throws Exception {
        Run text = run("tokenize", "--tokenizer", QWEN3, "--text", "Hello, world!");
        assertEquals(new Run(0, "[9707,11,1879,0]\n", ""), text);
        Path file = Files.writeString(dir.resolve("in.txt"), "Hello, world!");
        assertEquals(text, run("tokenize", "--tokenizer", QWEN3, "--file", file.toString(), "--add-special-tokens"));
    }

    @Test
    void rendersAndEncodesChats() throws Exception {
        Path chat = Files.writeString(dir.resolve("chat.json"),
                "[{\"role\": \"user\", \"content\": \"Write a haiku about the sea.\"}]");
        Run run = run("tokenize", "--tokenizer", QWEN3, "--chat", chat.toString(), "--add-generation-prompt");
        assertEquals(new Run(0, "{\"text\":\"<|im_start|>user\\nWrite a haiku about the sea.<|im_end|>\\n"
                + "<|im_start|>assistant\\n\",\"ids\":[151644,872,198,7985,264,6386,38242,911,279,9396,13,151645,198,"
                + "151644,77091,198]}\n", ""), run);
        Path withVariables = Files.writeString(dir.resolve("vars.json"),
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"enable_thinking\": false}");
        Run noThinking = run("tokenize", "--tokenizer", QWEN3, "--chat", withVariables.toString(), "--add-generation-prompt");
        assertTrue(noThinking.out().contains("<|im_start|>assistant\\n<think>\\n\\n</think>\\n\\n\""), noThinking.out());
    }

    @Test
    void badInputIsOneLineAndExitCode2() throws Exception {
        Run missingDir = run("tokenize", "--tokenizer", dir.resolve("none").toString(), "--text", "x");
        assertEquals(new Run(2, "", "align4j tokenize: " + dir.resolve("none") + ": tokenizer directory not found\n"),
                missingDir);
        Run missingFile = run("tokenize", "--tokenizer", QWEN3, "--file", dir.resolve("none.txt").toString());
        assertEquals(new Run(2, "", "align4j tokenize: " + dir.resolve("none.txt") + ": file not found\n"), missingFile);
        Path bad = Files.writeString(dir.resolve("bad.json"), "[\n  {\"role\": \"user\",\n   \"content\": }\n]");
        Run malformed = run("tokenize", "--tokenizer", QWEN3, "--chat", bad.toString());
        assertEquals(2, malformed.exitCode());
        assertTrue(malformed.err().startsWith("align4j tokenize: " + bad + ": malformed JSON at line 3, column 15: "),
                malformed.err());
        assertEquals(1, malformed.err().lines().count());
        Path notMessages = Files.writeString(dir.resolve("obj.json"), "{\"role\": \"user\"}");
        assertEquals(2, run("tokenize", "--tokenizer", QWEN3, "--chat", notMessages.toString()).exitCode());
        Path gpt2Chat = Files.writeString(dir.resolve("c.json"), "[]");
        Run noTemplate = run("tokenize", "--tokenizer", fixture("gpt2"), "--chat", gpt2Chat.toString());
        assertEquals(new Run(2, "", "align4j tokenize: " + fixture("gpt2") + ": the tokenizer has no chat template\n"),
                noTemplate);
    }

    @Test
    void requiresExactlyOneInput() {
        assertEquals(2, run("tokenize", "--tokenizer", QWEN3).exitCode());
        assertEquals(2, run("tokenize", "--tokenizer", QWEN3, "--text", "a", "--file", "b").exitCode());
    }
}
