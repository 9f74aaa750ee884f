package org.align4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Set;
import org.align4j.ClosestName;
import org.align4j.InputException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.UnmatchedArgumentException;

/** The {@code align4j} command line: one picocli subcommand per task. */
@Command(name = "align4j", mixinStandardHelpOptions = true, version = "align4j 0.1.0",
        description = "Pure-Java training and preference alignment of language models.",
        subcommands = {DemoCommand.class, SftCommand.class, CrlftCommand.class, DpoCommand.class, DiceCommand.class,
                RmCommand.class, PpoCommand.class, GrpoCommand.class, RlooCommand.class, CpoCommand.class,
                OrpoCommand.class, KtoCommand.class,
                RewardCommand.class, ScoreCommand.class, MergeCommand.class, QuantizeCommand.class,
                PanelsCommand.class, WriteCommand.class, ForwardCommand.class, GenerateCommand.class,
                TokenizeCommand.class, TrainTokenizerCommand.class, ScalingCommand.class, ExperimentCommand.class,
                BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {

    /**
     * Exit code for bad input ({@link InputException}: a malformed or missing file, an invalid option, a NaN loss),
     * for a failed read or write (a missing file, a full disk) and for running out of heap, each reported in one line.
     */
    public static final int EXIT_BAD_INPUT = 2;
    /** Exit code for an internal error: a bug, reported in one line with its stack trace in a log file. */
    public static final int EXIT_INTERNAL_ERROR = 1;

    /** Declares {@code --debug} on every subcommand; the exception handler reads it from the parse result. */
    @Option(names = "--debug", scope = ScopeType.INHERIT,
            description = "print the stack trace of an internal error (it is always written to a log file)")
    private boolean debug;

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
        return execute(new Main(), args);
    }

    /**
     * Runs {@code root} (a picocli command, e.g. another jar's command line built on the same library) with this
     * command line's handling of bad input, internal errors, snake_case flags and running out of memory.
     */
    public static int execute(Object root, String... args) {
        CommandLine cli = commandLine(root);
        try {
            return cli.execute(kebabCaseFlags(args));
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

    /**
     * The command line with its exception handler: bad input ({@link #badInputLine}) is one line and
     * {@link #EXIT_BAD_INPUT}; anything else is one line saying where its stack trace was logged and
     * {@link #EXIT_INTERNAL_ERROR}, with the stack trace printed too under {@code --debug}.
     */
    static CommandLine commandLine() {
        return commandLine(new Main());
    }

    private static CommandLine commandLine(Object root) {
        CommandLine cli = new CommandLine(root);
        String program = cli.getCommandName();
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            String badInput = badInputLine(ex);
            if (badInput != null) {
                cmd.getErr().println(program + " " + cmd.getCommandName() + ": " + InputException.oneLine(badInput));
                return EXIT_BAD_INPUT;
            }
            cmd.getErr().println(program + " " + cmd.getCommandName() + ": internal error: " + InputException.oneLine(ex.toString())
                    + " (" + writeLog(cmd.getCommandName(), ex) + ")");
            if (debug(parsed)) {
                ex.printStackTrace(cmd.getErr());
            }
            return EXIT_INTERNAL_ERROR;
        });
        cli.setParameterExceptionHandler((ex, args) -> {
            CommandLine command = ex.getCommandLine();
            command.getErr().println(InputException.oneLine(parameterProblem(command, ex, args)));
            return EXIT_BAD_INPUT;
        });
        return cli;
    }

    /**
     * {@code args} with option names written in snake_case ({@code --max_steps 10}, as TRL's and HF's command lines
     * accept them) turned into the kebab-case flags declared here ({@code --max-steps 10}); values are untouched.
     */
    static String[] kebabCaseFlags(String[] args) {
        String[] out = args.clone();
        for (int i = 0; i < out.length; i++) {
            String arg = out[i];
            if (arg.equals("--")) {
                break;
            }
            if (arg.startsWith("--")) {
                int end = arg.indexOf('=') < 0 ? arg.length() : arg.indexOf('=');
                out[i] = arg.substring(0, end).replace('_', '-') + arg.substring(end);
            }
        }
        return out;
    }

    /**
     * The one line for a command line picocli could not parse, in one style for every command: an unknown option or
     * subcommand (checked first, so that a misspelled flag is named even when a required one then looks missing)
     * with the closest known name, else picocli's problem; then where the help is.
     */
    static String parameterProblem(CommandLine command, CommandLine.ParameterException ex, String[] args) {
        String program = command.getCommandSpec().root().name();
        String name = command.getParent() == null ? program : program + " " + command.getCommandName();
        String unknown = unknownOption(command, args);
        String problem;
        if (unknown != null) {
            problem = unknown;
        } else if (ex instanceof UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
            String first = unmatched.getUnmatched().getFirst();
            boolean subcommand = !command.getSubcommands().isEmpty() && !first.startsWith("-");
            problem = "unknown " + (subcommand ? "command" : "argument") + " '" + first + "'"
                    + closest(first, subcommand ? command.getSubcommands().keySet() : Set.of());
        } else {
            problem = ex.getMessage();
        }
        boolean lists = !command.getSubcommands().isEmpty();
        return name + ": " + problem + "; '" + name + " --help' lists the " + (lists ? "commands" : "options");
    }

    /** "unknown option '--x' (did you mean '--y'?)" for the first option in {@code args} the command lacks, or null. */
    private static String unknownOption(CommandLine command, String[] args) {
        Set<String> known = command.getCommandSpec().optionsMap().keySet();
        boolean seenCommand = command.getParent() == null;
        for (String arg : args) {
            if (!seenCommand) {
                seenCommand = arg.equals(command.getCommandName());
                continue;
            }
            if (arg.equals("--")) {
                return null;
            }
            if (arg.startsWith("--") && arg.length() > 2) {
                String flag = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
                if (!known.contains(flag)) {
                    return "unknown option '" + flag + "'" + closest(flag, known);
                }
            }
        }
        return null;
    }

    /** " (did you mean 'y'?)" for the name among {@code names} closest to {@code given}, or "" when none is close. */
    private static String closest(String given, Collection<String> names) {
        String closest = ClosestName.among(given, names);
        return closest == null ? "" : " (did you mean '" + closest + "'?)";
    }

    /** Whether {@code --debug} was given to the command or to any of its subcommands. */
    private static boolean debug(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.hasSubcommand() ? p.subcommand() : null) {
            if (p.hasMatchedOption("--debug")) {
                return true;
            }
        }
        return false;
    }

    /** The one line for an exception caused by the run's input or its files, or null for an internal error. */
    static String badInputLine(Throwable ex) {
        if (ex instanceof InputException) {
            return ex.getMessage();
        }
        Throwable io = ex instanceof UncheckedIOException u ? u.getCause() : ex;
        return switch (io) {
            case NoSuchFileException e -> e.getFile() + ": no such file";
            case AccessDeniedException e -> e.getFile() + ": permission denied";
            case IOException e -> e.getMessage();
            default -> null;
        };
    }

    /** Writes {@code ex}'s stack trace to a log file in the temporary folder and says where, or why not. */
    private static String writeLog(String command, Exception ex) {
        try {
            Path log = Files.createTempFile("align4j-" + command + "-", ".log");
            StringWriter trace = new StringWriter();
            ex.printStackTrace(new PrintWriter(trace));
            Files.writeString(log, trace.toString());
            return "stack trace in " + log + "; --debug prints it";
        } catch (IOException | RuntimeException e) {
            return "no log written: " + e.getMessage() + "; --debug prints the stack trace";
        }
    }
}
