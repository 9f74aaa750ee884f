package org.align4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.align4j.experiments.DiceExperiment;
import org.align4j.experiments.DiceExperimentReport;
import org.align4j.experiments.DiceExperimentResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code align4j experiment dice}: do DICE rounds improve the ground-truth reward of the round-0 DPO policy on the
 * controlled sentiment task, and what do length regularisation and replay contribute ({@link DiceExperiment})?
 */
@Command(name = "dice", mixinStandardHelpOptions = true, description = {
        "DICE on the controlled sentiment task: SFT, DPO on AFINN-labelled offline pairs (round 0), then DICE rounds",
        "in three variants (full, no length regularisation, no replay); per round the held-out ground-truth reward,",
        "KL, win rate against round 0 and response length; writes dice.json, reward.png, win_rate.png, length.png,",
        "report.md. Budgets: smoke (under a minute), small (about 10 minutes on two cores), full (an estimated 3 to 4",
        "hours on two cores)."})
final class DiceExperimentCommand implements Callable<Integer> {
    @Mixin
    private ExperimentOptions experiment;

    @Override
    public Integer call() throws IOException {
        Path output = experiment.output();
        DiceExperimentResult r = new DiceExperiment(DiceExperiment.Settings.of(experiment.budget()), output,
                experiment.seed(), System.out, experiment.progressBars()).run();
        DiceExperimentResult.Verdict v = r.verdict();
        System.out.printf(Locale.ROOT, "full DICE %s: reward %.4f -> %.4f (%+.4f ± %.4f), win rate %.3f;"
                        + " %.0f s; dice.json, figures and report.md in %s%n", DiceExperimentReport.outcome(v),
                v.rewardRound0(), v.rewardLast(), v.rewardGain(), v.rewardGainStdErr(), v.winRateLast(),
                r.runtimeSeconds(), output);
        DiceExperimentResult.Verdict i = r.informativeVerdict();
        System.out.printf(Locale.ROOT, "from the informative round 0 (implicit-reward accuracy %.3f ± %.3f, premise %s)"
                        + " DICE %s: reward %.4f -> %.4f (%+.4f ± %.4f)%n", i.premiseAccuracy(), i.premiseStdErr(),
                i.premiseHeld() ? "met" : "not met", DiceExperimentReport.outcome(i), i.rewardRound0(),
                i.rewardLast(), i.rewardGain(), i.rewardGainStdErr());
        return 0;
    }
}
