package org.align4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code align4j experiment ...}: experiments that test a claim, one subcommand each. Every experiment takes
 * {@code --budget smoke|small|full} and writes {@code results.json}, PNG figures and {@code report.md} into its output
 * folder.
 */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = "Experiments that test a claim; each writes results.json, PNG figures and report.md.",
        subcommands = {PanelsExperimentCommand.class, MezoExperimentCommand.class, SentimentExperimentCommand.class,
                DiceExperimentCommand.class})
public final class ExperimentCommand implements Runnable {

    @Spec
    private CommandSpec spec;

    /** Without a subcommand there is nothing to run: reports the usage error. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing experiment: choose a subcommand");
    }
}
