package org.align4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.align4j.experiments.ExperimentBudget;
import org.align4j.experiments.SparseParityExperiment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code align4j scaling parity}: the multitask sparse parity experiment of Michaud et al. (2023). */
@Command(name = "parity", mixinStandardHelpOptions = true, description = {
        "Multitask sparse parity (Michaud et al. 2023, the quantization model of neural scaling): MLPs of several",
        "widths trained on Zipf-distributed parity tasks; mean and per-task loss against width.",
        "Budgets: smoke (seconds), small (about 25 s on 2 cores), full (about 5 minutes)."})
final class ScalingParityCommand implements Callable<Integer> {
    @Option(names = "--budget", defaultValue = "small", description = "smoke, small or full (default ${DEFAULT-VALUE})")
    String budget;
    @Option(names = "--output", defaultValue = "runs/scaling-parity", description = "output folder (default ${DEFAULT-VALUE})")
    Path output;
    @Option(names = "--seed", defaultValue = "42", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws IOException {
        SparseParityExperiment.Result result = SparseParityExperiment.run(
                SparseParityExperiment.plan(ExperimentBudget.of(budget)), output, seed);
        System.out.printf(Locale.ROOT, "Spearman %.3f, mean loss ∝ N^%.3f; claim %s; wrote results.json, report.md and"
                + " figures to %s%n", result.spearman(), result.meanLossLaw().exponent(),
                result.held() ? "held" : "did not hold", output);
        return 0;
    }
}
