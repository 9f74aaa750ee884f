package org.align4j.cli;

import java.nio.file.Path;
import org.align4j.experiments.ExperimentBudget;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The options every {@code align4j experiment} subcommand takes (a picocli mixin): budget, output folder, seed. */
final class ExperimentOptions {
    @Spec(Spec.Target.MIXEE)
    private CommandSpec command;
    @Option(names = "--budget", defaultValue = "smoke", description = "smoke, small or full (default ${DEFAULT-VALUE})")
    private String budget;
    @Option(names = "--output", paramLabel = "DIR",
            description = "output folder; models an earlier run cached there are reused (default runs/experiment-${COMMAND-NAME})")
    private Path output;
    @Option(names = "--seed", defaultValue = "42", description = "seed of everything the experiment draws: data,"
            + " initialisation, samples and order (default ${DEFAULT-VALUE})")
    private long seed;

    /** The budget. */
    ExperimentBudget budget() {
        return ExperimentBudget.of(budget);
    }

    /** The output folder: {@code --output}, else {@code runs/experiment-NAME}. */
    Path output() {
        return output != null ? output : Path.of("runs", "experiment-" + command.name());
    }

    /** The seed. */
    long seed() {
        return seed;
    }

    /** Whether to draw progress bars: for every budget but smoke (the one the tests run). */
    boolean progressBars() {
        return budget() != ExperimentBudget.SMOKE;
    }
}
