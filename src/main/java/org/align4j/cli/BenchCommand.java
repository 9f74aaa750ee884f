package org.align4j.cli;

import picocli.CommandLine.Command;

/** {@code align4j bench}: performance measurements of the engine. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks of the engine.",
        subcommands = {BenchTrainStepCommand.class})
final class BenchCommand {
}
