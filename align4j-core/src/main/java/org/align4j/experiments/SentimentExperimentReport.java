package org.align4j.experiments;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.align4j.OutputFile;
import org.align4j.experiments.SentimentExperimentResult.MethodResult;
import org.align4j.scaling.ScalingCharts;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The figure and the report of {@link SentimentExperiment}: {@code frontier.png} (held-out ground-truth reward against
 * KL(π || π_ref), one line per method in step or N order, as Rafailov et al. 2023, Fig. 2 left) and {@code report.md}
 * (the claim, the setup, each method's best point, the frontiers at a ladder of KL levels and the verdict).
 */
public final class SentimentExperimentReport {
    /** The figure. */
    public static final String FIGURE = "frontier.png";
    /** The report. */
    public static final String REPORT = "report.md";

    private SentimentExperimentReport() {
    }

    /** Writes the figure and the report of {@code result} into {@code dir}. */
    public static void write(SentimentExperimentResult result, Path dir) throws IOException {
        ScalingCharts.write(List.of(chart(result)), 1, 1, dir.resolve(FIGURE));
        OutputFile.writeString(dir.resolve(REPORT), markdown(result));
    }

    private static XYChart chart(SentimentExperimentResult result) {
        XYChart chart = ScalingCharts.chart("Sentiment: held-out reward vs KL (budget " + result.budget() + ")",
                "KL(pi || pi_ref), nats", "mean ground-truth reward", false, false);
        int i = 0;
        for (Map.Entry<String, MethodResult> e : result.methods().entrySet()) {
            List<FrontierPoint> points = e.getValue().points();
            XYSeries s = chart.addSeries(e.getKey(), points.stream().mapToDouble(FrontierPoint::kl).toArray(),
                    points.stream().mapToDouble(FrontierPoint::reward).toArray());
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setLineColor(ScalingCharts.color(i, result.methods().size()));
            s.setMarkerColor(ScalingCharts.color(i, result.methods().size()));
            i++;
        }
        return chart;
    }

    /** KL levels for the report's table: 0, then powers of two from 1/4 up to the largest KL observed. */
    static List<Double> ladder(List<Double> observed) {
        TreeSet<Double> levels = new TreeSet<>();
        levels.add(0.0);
        double max = observed.isEmpty() ? 0 : observed.getLast();
        for (double level = 0.25; level < 2 * max; level *= 2) {
            levels.add(level);
        }
        return List.copyOf(levels);
    }

    /** "k of n levels" for a comparison, or "–" without one. */
    private static String atLevels(FrontierComparison.Versus v) {
        return v == null || v.levelsCompared() == 0 ? "–"
                : String.format(Locale.ROOT, "%d of %d levels", v.levelsAtLeast(), v.levelsCompared());
    }

    private static String difference(FrontierComparison.Versus v) {
        return v == null || v.levelsCompared() == 0 ? "–" : String.format(Locale.ROOT, "%+.4f", v.meanDifference());
    }

    /** One phrase on where a family lies: below, above or between the two frontiers (within noise or not). */
    static String placement(SentimentExperimentResult.Placement p) {
        String dpo = side("DPO", p.versusDpo());
        String ppo = p.versusPpo() == null ? "PPO did not run" : side("PPO", p.versusPpo());
        return dpo + "; " + ppo;
    }

    private static String side(String reference, FrontierComparison.Versus v) {
        if (v == null || v.levelsCompared() == 0) {
            return "no KL level shared with " + reference;
        }
        if (v.dominates()) {
            return "below " + reference + " at every level";
        }
        if (v.levelsAtLeast() == 0) {
            return "above " + reference + " at every level";
        }
        return "above " + reference + " at " + (v.levelsCompared() - v.levelsAtLeast()) + " of " + v.levelsCompared()
                + " levels, " + (v.dominatesWithinNoise() ? "all within noise" : "beyond noise at some");
    }

    /** The verdict of DPO against one family (the paper's claim is DPO against PPO), or that it did not run. */
    static String versusLine(FrontierComparison cmp, String family) {
        FrontierComparison.Versus v = cmp.versus().get(family);
        if (v == null || v.levelsCompared() == 0) {
            return String.format(Locale.ROOT, "%n- DPO vs %s: no KL level where both have a point.%n", family);
        }
        return String.format(Locale.ROOT, "%n- **DPO vs %s: DPO's frontier %s %s's** (at least as high at %d of %d"
                        + " levels; smallest difference %+.4f, mean %+.4f), and %s it within noise (smallest"
                        + " difference / SE %+.2f).%n", family, v.dominates() ? "dominates" : "does not dominate",
                family, v.levelsAtLeast(), v.levelsCompared(), v.minDifference(), v.meanDifference(),
                v.dominatesWithinNoise() ? "dominates" : "does not dominate", v.minZ());
    }

    static String markdown(SentimentExperimentResult r) {
        SentimentExperiment.Settings s = r.settings();
        SentimentTask.Config c = s.task();
        FrontierComparison cmp = r.comparison();
        StringBuilder md = new StringBuilder();
        md.append("# Controlled sentiment generation: reward/KL frontiers (budget `").append(r.budget())
                .append("`)\n\n");
        md.append("**Claim** (Rafailov et al. 2023, Fig. 2 left, App. C.1): ").append(r.claim()).append("\n\n");
        md.append("## Setup\n\n");
        md.append(String.format(Locale.ROOT, """
                - Policy and reference: the embedded 4M-parameter Llama, fine-tuned on the bundled Brown fiction as \
                `align4j demo` does (%d steps of 16 packed rows of 128 tokens, lr 3e-3 cosine): training loss %.3f, \
                held-out loss %.3f%s. This SFT model is π_ref and the start of every method.
                - Prompts: 2-8-token prefixes of Brown fiction sentences (embedded tokenizer), %d training and %d \
                held-out, disjoint, drawn with seed %d.
                - Ground truth (the judge): AFINN-165 score of the completion text, mapped to (0, 1) by \
                sigmoid(score / 2); 0.5 is neutral.
                - Sampling: temperature 1, top-k 0 (untruncated: samples come from π itself), at most %d new tokens, \
                eos 4256.
                - Evaluation (one point): %d samples per held-out prompt (%d samples, the same sampling seed for \
                every policy); reward = their mean ground-truth reward; KL = mean of Σ_t log π(y_t|x,y_<t) − \
                log π_ref(y_t|x,y_<t) over the same samples (teacher-forced log-probs of both models): an unbiased \
                estimate of the sequence-level KL(π || π_ref).
                - Preference pairs (App. C.1): 4 SFT samples per training prompt, all 6 pairs labelled by the ground \
                truth, ties dropped: %d pairs from %d prompts (%d held-out pairs from the held-out prompts).
                - Reward model (TRL's reward trainer on the SFT backbone with a new scalar head): %d steps of %d \
                pairs, lr %s; pair accuracy **%.3f held-out** (%.3f on its training pairs).
                - Trained methods: %d steps of %d, constant lr %s, evaluated every %d steps (step 0 is the SFT \
                model). Best-of-N: N = 1..%d, %d draw(s) per held-out prompt, KL reported as the analytic \
                log N − (N−1)/N (an upper bound on the exact KL), step = N.
                - PPO (learned reward model; value model from it) and PPO-GT (ground-truth reward; value model \
                from the SFT backbone with a fresh head) at target KL %s nats: the adaptive KL controller (Ziegler \
                et al. 2019) from β %s, horizon = episodes / %d; %d updates, each a rollout of %d training prompts \
                (one completion each, sampled as above, reference = the SFT model) and %d PPO epochs, lr %s; step = \
                update, evaluated every %d updates.
                """, c.sftSteps(), r.sft().trainLoss(), r.sft().heldOutLoss(),
                r.sft().fromCache() ? " (read from the cache)" : "", c.trainPrompts(), c.heldOutPrompts(), r.seed(),
                c.maxNewTokens(), c.evalSamplesPerPrompt(), c.heldOutPrompts() * c.evalSamplesPerPrompt(),
                r.pairs().trainPairs(), r.pairs().trainPrompts(), r.pairs().heldOutPairs(), r.rewardModel().steps(),
                s.batchSize(), SentimentExperiment.number(s.rewardLr()), r.rewardModel().heldOutAccuracy(),
                r.rewardModel().trainAccuracy(), s.steps(), s.batchSize(),
                SentimentExperiment.number(s.learningRate()), s.evalEvery(), s.bestOfNMax(), s.bestOfNDraws(),
                String.join(", ", s.ppo().targetKls().stream().map(SentimentExperiment::number).toList()),
                SentimentExperiment.number(s.ppo().initKlCoef()), PpoMethod.HORIZON_FRACTION, s.ppo().updates(),
                s.batchSize(), s.ppo().epochs(), SentimentExperiment.number(s.ppo().learningRate()),
                s.ppo().evalEvery()));
        md.append(String.format(Locale.ROOT, "\nThe SFT model's held-out reward is %.4f ± %.4f (standard error).%n",
                r.sftPoint().reward(), r.sftPoint().rewardStdErr()));

        md.append("\n## Methods: best point\n\n");
        md.append("| method | family | best reward | ± | at KL | at step (N) | last point: KL, reward | seconds |\n");
        md.append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (Map.Entry<String, MethodResult> e : r.methods().entrySet()) {
            MethodResult m = e.getValue();
            FrontierPoint best = m.best();
            FrontierPoint last = m.points().getLast();
            md.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %.4f | %.3f | %d | %.3f, %.4f | %.0f |%n",
                    e.getKey(), m.family(), best.reward(), best.rewardStdErr(), best.kl(), best.step(), last.kl(),
                    last.reward(), m.seconds()));
        }

        md.append("\n## Frontiers: best reward at KL ≤ level\n\n");
        List<String> families = r.methods().values().stream().map(MethodResult::family).distinct().toList();
        md.append("| KL ≤ |");
        families.forEach(f -> md.append(' ').append(f).append(" |"));
        md.append("\n| --- |");
        families.forEach(f -> md.append(" --- |"));
        md.append('\n');
        Map<String, List<FrontierPoint>> byFamily = new java.util.LinkedHashMap<>();
        r.methods().values().forEach(m -> byFamily.computeIfAbsent(m.family(), k -> new java.util.ArrayList<>())
                .addAll(m.points()));
        List<Double> observed = r.methods().values().stream().flatMap(m -> m.points().stream())
                .map(FrontierPoint::kl).sorted().toList();
        for (double level : ladder(observed)) {
            md.append(String.format(Locale.ROOT, "| %s |", SentimentExperiment.number(level)));
            for (String f : families) {
                Double best = FrontierComparison.bestAt(byFamily.get(f), level);
                md.append(best == null ? " – |" : String.format(Locale.ROOT, " %.4f |", best));
            }
            md.append('\n');
        }

        md.append("\n## Verdict\n\n");
        md.append("At each of the ").append(cmp.levels().size()).append(" KL values observed (all points of all"
                + " methods), each family's frontier is its best reward at KL ≤ that value; DPO (all β together)"
                + " dominates a family when its frontier is at least as high at every level where both have a point,"
                + " and dominates it within noise when the other is never ahead by more than "
                + SentimentExperiment.number(FrontierComparison.NOISE_SIGMAS) + " standard errors.\n\n");
        md.append("| DPO vs | levels compared | DPO ≥ other | dominates | min difference | mean difference |"
                + " min difference / SE | dominates within noise |\n");
        md.append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        cmp.versus().forEach((f, v) -> md.append(String.format(Locale.ROOT,
                "| %s | %d | %d | %s | %+.4f | %+.4f | %+.2f | %s |%n", f, v.levelsCompared(), v.levelsAtLeast(),
                v.dominates() ? "yes" : "no", v.minDifference(), v.meanDifference(), v.minZ(),
                v.dominatesWithinNoise() ? "yes" : "no")));
        md.append(String.format(Locale.ROOT, "%n**Verdict at this scale (budget `%s`): DPO's frontier %s the other"
                        + " methods' (%s) strictly, and %s them within noise** (within noise: no level where another"
                        + " method is ahead by more than %s standard errors of the difference).%n", r.budget(),
                cmp.dominates() ? "dominates" : "does not dominate", String.join(", ", cmp.versus().keySet()),
                cmp.dominatesWithinNoise() ? "dominates" : "does not dominate",
                SentimentExperiment.number(FrontierComparison.NOISE_SIGMAS)));
        for (String family : List.of(PpoMethod.PPO_FAMILY, PpoMethod.PPO_GT_FAMILY)) {
            md.append(versusLine(cmp, family));
        }
        if (!r.beyondPaper().isEmpty()) {
            md.append("\n## Beyond the paper\n\n");
            md.append("The methods added since the paper, each placed against DPO's frontier (all β) and PPO's (all"
                    + " target KLs) over every point of every method; a positive difference means DPO's (PPO's)"
                    + " frontier is the higher. GRPO-GT and RLOO-GT optimise the ground truth itself, as PPO-GT does,"
                    + " so they are oracles rather than competitors of DPO.\n\n");
            md.append("| method family | DPO ≥ it | mean difference, DPO − it | PPO ≥ it | mean difference, PPO − it |"
                    + " where it lies |\n");
            md.append("| --- | --- | --- | --- | --- | --- |\n");
            r.beyondPaper().forEach((family, p) -> md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |"
                    + " %s |%n", family, atLevels(p.versusDpo()), difference(p.versusDpo()), atLevels(p.versusPpo()),
                    difference(p.versusPpo()), placement(p))));
        }
        md.append("\n## Cost\n\n");
        md.append(String.format(Locale.ROOT, "This run took %.0f s of wall time and %.0f CPU-seconds (about %.0f s on"
                + " two idle cores); wall time per stage: ", r.runtimeSeconds(), r.cpuSeconds(), r.cpuSeconds() / 2));
        md.append(String.join(", ", r.timings().entrySet().stream().map(e -> String.format(Locale.ROOT, "%s %.0f s",
                e.getKey(), e.getValue())).toList()));
        md.append(". Budgets: `smoke` under a minute (the test suite runs it); `small` measured at 1,012 CPU-seconds"
                + " and 9.5 minutes of wall time on two shared cores with the SFT model cached (the SFT adds about 250"
                + " CPU-seconds); `full` (2,000 SFT steps, 2,048 training prompts, 1,000 steps of 32 per method, 1,000"
                + " PPO updates of 32 prompts at four target KLs for each PPO family and as many GRPO and RLOO"
                + " generation batches, 48-token completions, best-of-128) an estimated 48,000 CPU-seconds, PPO 28,000"
                + " and GRPO with RLOO 11,000 of them: 7 hours on two idle cores, up to 13 when shared (30 times"
                + " small's offline stages, 6.7 times its SFT, and for the online methods 50 times their updates at"
                + " about 4 times the cost each).\n\n");
        md.append("Figure: `").append(FIGURE).append("`; data: `").append(SentimentExperimentResult.FILE_NAME)
                .append("`; method runs (metrics, plots) under `runs/`.\n");
        return md.toString();
    }
}
