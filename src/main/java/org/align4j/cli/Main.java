package org.align4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code align4j} command line: one picocli subcommand per task. */
@Command(name = "align4j", mixinStandardHelpOptions = true, version = "align4j 0.1.0",
        description = "Pure-Java training and preference alignment of language models.",
        subcommands = {BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    /** Exit code for bad input (malformed file, missing tensor, unknown architecture...). */
    public static final int EXIT_BAD_INPUT = 2;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (tests call this instead of {@link #main}). */
    public static int run(String... args) {
        return new CommandLine(new Main()).execute(args);
    }
}
