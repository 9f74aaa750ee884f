package org.align4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.align4j.experiments.FrontierComparison;
import org.align4j.experiments.FrontierPoint;
import org.align4j.experiments.PpoMethod;
import org.align4j.experiments.SentimentExperiment;
import org.align4j.experiments.SentimentExperimentResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code align4j experiment sentiment}: does DPO reach a better reward/KL frontier than the baselines on controlled
 * sentiment generation ({@link SentimentExperiment})?
 */
@Command(name = "sentiment", mixinStandardHelpOptions = true, description = {
        "Controlled sentiment generation (DPO paper, Fig. 2 left) on the embedded model: DPO at four betas,",
        "Preferred-FT, Unlikelihood, Best-of-N, and PPO (learned reward model) and PPO-GT (ground-truth reward) at",
        "several target KLs, against an AFINN ground truth; writes frontier.json, frontier.png, report.md.",
        "Budgets: smoke (under a minute), small (about 1,260 CPU-seconds: 12 minutes on two shared cores), full",
        "(an estimated 48,000 CPU-seconds: 7 to 13 hours on two cores). The SFT model is cached in the output folder."})
final class SentimentExperimentCommand implements Callable<Integer> {
    @Mixin
    private ExperimentOptions experiment;

    @Override
    public Integer call() throws IOException {
        Path output = experiment.output();
        SentimentExperiment.Settings settings = SentimentExperiment.Settings.of(experiment.budget());
        SentimentExperimentResult r = new SentimentExperiment(settings, SentimentExperiment.defaultMethods(settings),
                output, experiment.seed(), System.out, experiment.progressBars()).run();
        for (Map.Entry<String, SentimentExperimentResult.MethodResult> e : r.methods().entrySet()) {
            FrontierPoint best = e.getValue().best();
            System.out.printf(Locale.ROOT, "%-16s best reward %.4f at KL %.3f%n", e.getKey(), best.reward(), best.kl());
        }
        FrontierComparison.Versus ppo = r.comparison().versus().get(PpoMethod.PPO_FAMILY);
        System.out.printf(Locale.ROOT, "DPO's frontier %s the others' strictly and %s them within noise; against"
                        + " PPO's it %s (reward model held-out accuracy %.3f); %.0f s; frontier.json, frontier.png"
                        + " and report.md in %s%n",
                r.comparison().dominates() ? "dominates" : "does not dominate",
                r.comparison().dominatesWithinNoise() ? "dominates" : "does not dominate",
                ppo == null || ppo.levelsCompared() == 0 ? "has no common KL level"
                        : (ppo.dominates() ? "dominates" : "does not dominate") + " strictly and "
                        + (ppo.dominatesWithinNoise() ? "dominates" : "does not dominate") + " within noise",
                r.rewardModel().heldOutAccuracy(), r.runtimeSeconds(), output);
        return 0;
    }
}
