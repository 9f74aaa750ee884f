package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.align4j.InputException;
import org.align4j.data.DataException;
import org.align4j.train.NonFiniteLossException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Bad input is one line and exit code 2; anything else is an internal error, exit code 1, its trace logged. */
class MainTest {

    @Command(name = "fail")
    static final class Failing implements Callable<Integer> {
        static Exception next;

        @Override
        public Integer call() throws Exception {
            throw next;
        }
    }

    private record Outcome(int exitCode, String err) {
    }

    private static Outcome run(Exception thrown, String... args) {
        Failing.next = thrown;
        CommandLine cli = Main.commandLine();
        cli.addSubcommand(new Failing());
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Outcome(code, err.toString());
    }

    /** Every command answers a mistake on its command line in one line, with the closest known name, exit code 2. */
    @Test
    void commandLineMistakesAreOneLineNamingTheClosestName() {
        String[][] cases = {
            {"align4j: unknown command 'generat' (did you mean 'generate'?); 'align4j --help' lists the commands",
                "generat"},
            {"align4j experiment: unknown command 'dicee' (did you mean 'dice'?); 'align4j experiment --help' lists the"
                + " commands", "experiment", "dicee"},
            // the misspelt flag is named even though the required --model then looks missing
            {"align4j generate: unknown option '--modle' (did you mean '--model'?); 'align4j generate --help' lists"
                + " the options", "generate", "--modle", "m"},
            {"align4j dpo: --beta: expected a number, got 'abc'", "dpo", "--beta", "abc", "--model", "m", "--data", "d",
                "--output", "o"},
            {"align4j sft: --packing: expected true or false, got 'maybe'", "sft", "--packing=maybe", "--model", "m",
                "--data", "d", "--output", "o"},
        };
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            CliRun run = CliRun.of(args);
            assertEquals(Main.EXIT_BAD_INPUT, run.exitCode(), String.join(" ", args));
            assertEquals(c[0], run.err().strip(), String.join(" ", args));
        }
    }

    /** A name holding a line break or a control character is escaped: the message stays one line. */
    @Test
    void controlCharactersInNamesAreEscaped() {
        Outcome out = run(new DataException("bad\nname\u0007.jsonl:3: missing field 'text'"), "fail");
        assertEquals(Main.EXIT_BAD_INPUT, out.exitCode());
        assertEquals("align4j fail: bad\\nname\\u0007.jsonl:3: missing field 'text'", out.err().strip());
    }

    @Test
    void inputErrorsAreOneLineWithExitCode2() {
        for (Exception e : new Exception[] {new DataException("train.jsonl:12: field 'chosen' must be a string"),
                new InputException("config.yaml: option 'beta': must be positive"),
                new NonFiniteLossException("loss", Double.NaN, 3, new int[] {4, 5})}) {
            Outcome out = run(e, "fail");
            assertEquals(Main.EXIT_BAD_INPUT, out.exitCode(), out.err());
            assertEquals("align4j fail: " + e.getMessage(), out.err().strip());
        }
    }

    @Test
    void missingFilesAndFailedWritesAreOneLineWithExitCode2() {
        Outcome missing = run(new NoSuchFileException("/no/such/train.jsonl"), "fail");
        assertEquals(Main.EXIT_BAD_INPUT, missing.exitCode());
        assertEquals("align4j fail: /no/such/train.jsonl: no such file", missing.err().strip());
        Outcome full = run(new UncheckedIOException(new IOException("/out/model.safetensors: No space left on device")),
                "fail");
        assertEquals(Main.EXIT_BAD_INPUT, full.exitCode());
        assertEquals("align4j fail: /out/model.safetensors: No space left on device", full.err().strip());
    }

    @Test
    void anyOtherExceptionIsAnInternalErrorWithItsTraceInALog() throws IOException {
        IllegalArgumentException bug = new IllegalArgumentException("shape [2, 3] needs 6 elements, got 5");
        assertNull(Main.badInputLine(bug));
        Outcome out = run(bug, "fail");
        assertEquals(Main.EXIT_INTERNAL_ERROR, out.exitCode());
        assertEquals(1, out.err().strip().lines().count(), out.err());
        assertTrue(out.err().startsWith("align4j fail: internal error: " + bug), out.err());
        Matcher log = Pattern.compile("stack trace in (\\S+);").matcher(out.err());
        assertTrue(log.find(), out.err());
        Path file = Path.of(log.group(1));
        try {
            String trace = Files.readString(file);
            assertTrue(trace.contains("MainTest.anyOtherExceptionIsAnInternalErrorWithItsTraceInALog"), trace);
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void debugPrintsTheStackTraceToo() throws IOException {
        Outcome out = run(new IllegalStateException("unreachable state"), "fail", "--debug");
        assertEquals(Main.EXIT_INTERNAL_ERROR, out.exitCode());
        assertTrue(out.err().lines().count() > 3, out.err());
        assertTrue(out.err().contains("\tat org.align4j.cli.MainTest"), out.err());
        Matcher log = Pattern.compile("stack trace in (\\S+);").matcher(out.err());
        assertTrue(log.find(), out.err());
        Files.delete(Path.of(log.group(1)));
        Outcome quiet = run(new IllegalStateException("unreachable state"), "fail");
        assertFalse(quiet.err().contains("\tat "), quiet.err());
        Matcher quietLog = Pattern.compile("stack trace in (\\S+);").matcher(quiet.err());
        assertTrue(quietLog.find(), quiet.err());
        Files.delete(Path.of(quietLog.group(1)));
    }
}
