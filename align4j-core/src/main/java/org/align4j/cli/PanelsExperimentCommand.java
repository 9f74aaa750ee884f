package org.align4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.align4j.experiments.PanelsExperiment;
import org.align4j.experiments.PanelsExperimentResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code align4j experiment panels}: does conditioning on a condition panel turn creative writing into writing with
 * assigned materials ({@link PanelsExperiment})?
 */
@Command(name = "panels", mixinStandardHelpOptions = true, description = {
        "Plain continuation vs condition-panel continuation on the bundled Brown fiction, field ablations, and C-RLFT",
        "on mixed-quality panels; writes results.json, eval_loss.png, eval_accuracy.png, ablation.png, report.md.",
        "Budgets: smoke (under a minute), small (about 4 minutes on two idle cores), full (an estimated 5 to 6 hours on",
        "two idle cores)."})
final class PanelsExperimentCommand implements Callable<Integer> {
    @Mixin
    private ExperimentOptions experiment;

    @Override
    public Integer call() throws IOException {
        Path output = experiment.output();
        PanelsExperimentResult r = new PanelsExperiment(PanelsExperiment.Settings.of(experiment.budget()), output,
                experiment.seed(), System.out, experiment.progressBars()).run();
        System.out.printf(Locale.ROOT, "claim %s: panel loss %.3f (accuracy %.3f), plain loss %.3f (accuracy %.3f);"
                        + " %.0f s; results, figures and report.md in %s%n", r.verdict().held() ? "held" : "did not hold",
                r.verdict().panelLoss(), r.verdict().panelAccuracy(), r.verdict().plainLoss(),
                r.verdict().plainAccuracy(), r.runtimeSeconds(), output);
        return 0;
    }
}
