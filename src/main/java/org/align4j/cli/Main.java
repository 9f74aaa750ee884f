package org.align4j.cli;

import java.io.UncheckedIOException;
import org.align4j.model.ModelException;
import org.align4j.model.io.CheckpointException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParseResult;

/** The {@code align4j} command line: one picocli subcommand per task. */
@Command(name = "align4j", mixinStandardHelpOptions = true, version = "align4j 0.1.0",
        description = "Pure-Java training and preference alignment of language models.",
        subcommands = {DemoCommand.class, SftCommand.class, CrlftCommand.class, DpoCommand.class, DiceCommand.class,
                RmCommand.class, PpoCommand.class,
                RewardCommand.class, ScoreCommand.class, MergeCommand.class, QuantizeCommand.class,
                PanelsCommand.class, WriteCommand.class, ForwardCommand.class, GenerateCommand.class,
                TokenizeCommand.class, TrainTokenizerCommand.class, ScalingCommand.class, ExperimentCommand.class,
                BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {

    /**
     * Exit code for bad input (malformed file, missing tensor, unknown architecture...) and for running out of heap,
     * each reported in one line.
     */
    public static final int EXIT_BAD_INPUT = 2;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the CLI and returns its exit code (tests call this instead of {@link #main}). An
     * {@link OutOfMemoryError}, which picocli passes through rather than to the execution exception handler, ends
     * as the one line of {@link OutOfMemoryReport}; the command's objects are garbage by then.
     */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (isBadInput(ex)) {
                cmd.getErr().println("align4j " + cmd.getCommandName() + ": " + ex.getMessage());
                return EXIT_BAD_INPUT;
            }
            throw ex;
        });
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            CommandLine command = cli;
            for (ParseResult parsed = cli.getParseResult(); parsed != null;
                    parsed = parsed.hasSubcommand() ? parsed.subcommand() : null) {
                command = parsed.commandSpec().commandLine();
            }
            command.getErr().println(OutOfMemoryReport.line(command.getCommandName(), e, command.getCommand(),
                    Runtime.getRuntime().maxMemory()));
            command.getErr().flush();
            return EXIT_BAD_INPUT;
        }
    }

    private static boolean isBadInput(Exception ex) {
        return ex instanceof ModelException || ex instanceof CheckpointException
                || ex instanceof IllegalArgumentException || ex instanceof UncheckedIOException;
    }
}
