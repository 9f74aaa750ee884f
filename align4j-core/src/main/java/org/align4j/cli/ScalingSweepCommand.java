package org.align4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.align4j.InputException;
import org.align4j.experiments.ExperimentBudget;
import org.align4j.experiments.ScalingSweepExperiment;
import org.align4j.scaling.ScalingLawReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code align4j scaling sweep}: trains the embedded model family on IsoFLOP profiles and fits scaling laws. */
@Command(name = "sweep", mixinStandardHelpOptions = true, description = {
        "Train the embedded model family at several sizes on IsoFLOP compute budgets (bundled corpus), record",
        "N, D, C and held-out loss to runs.csv, and fit Chinchilla approaches 3 and 2 and Kaplan's laws.",
        "Budgets: smoke (seconds), small (15 runs, about 15 minutes on one thread), full (an estimated 2 hours).",
        "Runs repeat the 0.38M-token corpus; approach 3 values repeated tokens as Muennighoff et al. (2023)."})
final class ScalingSweepCommand implements Callable<Integer> {
    @Option(names = "--budget", defaultValue = "small", description = "smoke, small or full (default ${DEFAULT-VALUE})")
    String budget;
    @Option(names = "--output", defaultValue = "runs/scaling-sweep", description = "output folder (default ${DEFAULT-VALUE})")
    Path output;
    @Option(names = "--time-limit", description = "wall-clock limit of the training runs in seconds (default: the budget's)")
    Double timeLimit;
    @Option(names = "--seed", defaultValue = "42", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws IOException {
        ScalingSweepExperiment.Plan plan = ScalingSweepExperiment.plan(ExperimentBudget.of(budget));
        if (timeLimit != null) {
            if (!(timeLimit > 0)) {
                throw new InputException("--time-limit must be positive, got " + timeLimit);
            }
            plan = new ScalingSweepExperiment.Plan(plan.budgets(), plan.seq(), plan.batch(), plan.learningRate(),
                    plan.documents(), plan.heldOutRows(), timeLimit, plan.bootstrapSamples());
        }
        ScalingSweepExperiment.Result result = ScalingSweepExperiment.run(plan, output, seed);
        System.out.printf("%d runs in %.0f s (%d skipped)%n", result.runs().size(), result.seconds(),
                result.skipped().size());
        if (result.analysis() != null) {
            System.out.println(ScalingLawReport.measured(result.analysis()));
            System.out.println("claim " + (ScalingLawReport.claimHeld(result.analysis()) ? "held" : "did not hold"));
        }
        System.out.println("wrote runs.csv, results.json, report.md and figures to " + output);
        return 0;
    }
}
