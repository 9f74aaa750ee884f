package org.align4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.align4j.experiments.MezoExperiment;
import org.align4j.experiments.MezoExperimentResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code align4j experiment mezo}: MeZO against AdamW for SFT and DPO of the embedded model ({@link MezoExperiment}).
 */
@Command(name = "mezo", mixinStandardHelpOptions = true, description = {
        "MeZO vs AdamW on SFT and DPO of the embedded model: loss against steps and seconds, peak heap; writes",
        "mezo.json, sft_loss_vs_step.png, sft_loss_vs_seconds.png, dpo_loss_vs_step.png, dpo_loss_vs_seconds.png and",
        "report.md. Budgets: smoke (under a minute), small (3 to 8 minutes on two shared cores), full (an estimated 3",
        "hours on two cores)."})
final class MezoExperimentCommand implements Callable<Integer> {
    @Mixin
    private ExperimentOptions experiment;

    @Override
    public Integer call() throws IOException {
        Path output = experiment.output();
        MezoExperimentResult r = new MezoExperiment(MezoExperiment.Settings.of(experiment.budget()), output,
                experiment.seed(), System.out, experiment.progressBars()).run();
        for (Map.Entry<String, MezoExperimentResult.TaskResult> task : r.tasks().entrySet()) {
            task.getValue().runs().forEach((name, run) -> System.out.printf(Locale.ROOT,
                    "%s %-14s held-out loss %.4f after %d steps (%.0f s)%n", task.getKey(), name, run.finalEvalLoss(),
                    run.steps(), run.trainSeconds()));
        }
        System.out.printf(Locale.ROOT, "%.0f s; mezo.json, figures and report.md in %s%n", r.runtimeSeconds(), output);
        return 0;
    }
}
