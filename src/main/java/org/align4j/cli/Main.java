package org.align4j.cli;

import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code align4j} command line: one picocli subcommand per task. */
@Command(name = "align4j", mixinStandardHelpOptions = true, version = "align4j 0.1.0",
        description = "Pure-Java training and preference alignment of language models.",
        subcommands = {CommandLine.HelpCommand.class, TokenizeCommand.class})
public final class Main {

    /** Exit code for bad input (malformed file, missing tensor, unknown architecture...). */
    public static final int EXIT_BAD_INPUT = 2;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the CLI and returns its exit code (tests call this instead of {@link #main}). Bad input, reported by a
     * command as an {@link IllegalArgumentException} or {@link UncheckedIOException}, prints
     * {@code align4j <command>: <message>} to standard error and exits with {@link #EXIT_BAD_INPUT}.
     */
    public static int run(String... args) {
        return new CommandLine(new Main()).setExecutionExceptionHandler(Main::badInput).execute(args);
    }

    private static int badInput(Exception e, CommandLine command, CommandLine.ParseResult parseResult)
            throws Exception {
        if (e instanceof IllegalArgumentException || e instanceof UncheckedIOException) {
            command.getErr().println("align4j " + command.getCommandName() + ": " + e.getMessage());
            command.getErr().flush();
            return EXIT_BAD_INPUT;
        }
        throw e;
    }
}
