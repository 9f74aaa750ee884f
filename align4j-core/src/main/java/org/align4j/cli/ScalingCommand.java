package org.align4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code align4j scaling ...}: scaling-law tools. {@code fit} fits Kaplan et al. (2020) and Hoffmann et al. (2022)
 * to a CSV of runs; {@code sweep} trains the embedded model family on IsoFLOP profiles and fits them; {@code parity}
 * runs the multitask sparse parity experiment of Michaud et al. (2023).
 */
@Command(name = "scaling", mixinStandardHelpOptions = true,
        description = "Scaling laws: how big a model, how many tokens, for a compute budget.",
        subcommands = {ScalingFitCommand.class, ScalingSweepCommand.class, ScalingParityCommand.class})
public final class ScalingCommand implements Runnable {
    @Spec
    private CommandSpec spec;

    /** Without a subcommand there is nothing to run: reports the usage error. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand: choose fit, sweep or parity");
    }
}
