package org.align4j.spark;

import org.align4j.cli.DiceCommand;
import org.align4j.cli.Main;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code align4j-spark} command line, the main class for {@code spark-submit}: one subcommand per job, with the
 * {@code align4j} command line's handling of bad input (one line, exit code 2) and internal errors.
 */
@Command(name = "align4j-spark", mixinStandardHelpOptions = true, version = "align4j-spark 0.1.0",
        description = "align4j's jobs on Apache Spark: sampling, scoring and data-parallel LoRA training.",
        subcommands = {GenerateJob.class, ScoreJob.class, RewardJob.class, PrecomputeRefJob.class, DpoJob.class,
                DiceCommand.class, BenchJob.class, CommandLine.HelpCommand.class})
public final class SparkMain {
    @Option(names = "--debug", scope = ScopeType.INHERIT,
            description = "print the stack trace of an internal error (it is always written to a log file)")
    private boolean debug;

    private SparkMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (tests call this instead of {@link #main}). */
    public static int run(String... args) {
        return Main.execute(new SparkMain(), args);
    }
}
