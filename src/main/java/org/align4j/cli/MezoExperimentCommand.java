package org.align4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.align4j.experiments.ExperimentBudget;
import org.align4j.experiments.MezoExperiment;
import org.align4j.experiments.MezoExperimentResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j experiment mezo}: MeZO against AdamW for SFT and DPO of the embedded model ({@link MezoExperiment}).
 */
@Command(name = "mezo", mixinStandardHelpOptions = true, description = {
        "MeZO vs AdamW on SFT and DPO of the embedded model: loss against steps and seconds, peak heap; writes",
        "mezo.json, sft_loss_vs_step.png, sft_loss_vs_seconds.png, dpo_loss_vs_step.png, dpo_loss_vs_seconds.png and",
        "report.md. Budgets: smoke (under a minute), small (3 to 8 minutes on two shared cores), full (an estimated 3",
        "hours on two cores)."})
final class MezoExperimentCommand implements Callable<Integer> {
    @Option(names = "--budget", defaultValue = "smoke", description = "smoke, small or full (default ${DEFAULT-VALUE})")
    String budget;
    @Option(names = "--output", defaultValue = "runs/experiment-mezo",
            description = "output folder (default ${DEFAULT-VALUE})")
    Path output;
    @Option(names = "--seed", defaultValue = "42", description = "seed of initialisation, data order, samples and"
            + " MeZO's directions (default ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws IOException {
        ExperimentBudget b = ExperimentBudget.of(budget);
        MezoExperimentResult r = new MezoExperiment(MezoExperiment.Settings.of(b), output, seed, System.out,
                b != ExperimentBudget.SMOKE).run();
        for (Map.Entry<String, MezoExperimentResult.TaskResult> task : r.tasks().entrySet()) {
            task.getValue().runs().forEach((name, run) -> System.out.printf(Locale.ROOT,
                    "%s %-14s held-out loss %.4f after %d steps (%.0f s)%n", task.getKey(), name, run.finalEvalLoss(),
                    run.steps(), run.trainSeconds()));
        }
        System.out.printf(Locale.ROOT, "%.0f s; mezo.json, figures and report.md in %s%n", r.runtimeSeconds(), output);
        return 0;
    }
}
