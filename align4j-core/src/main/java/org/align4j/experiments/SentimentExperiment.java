package org.align4j.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.align4j.OutputFile;
import org.align4j.align.reward.RewardConfig;
import org.align4j.align.reward.RewardTrainer;
import org.align4j.data.Example;
import org.align4j.data.RewardTokenization;
import org.align4j.data.PreferencePair;
import org.align4j.data.SftTokenization;
import org.align4j.experiments.SentimentExperimentResult.MethodResult;
import org.align4j.model.RewardModel;
import org.align4j.train.TrainingArguments;

/**
 * Tests the claim of Rafailov et al. 2023 ("Direct Preference Optimization", Fig. 2 left, appendix C.1) that on
 * controlled sentiment generation DPO reaches a better reward/KL frontier than the other methods, at toy scale on the
 * {@link SentimentTask} (embedded model, Brown fiction prompts, AFINN ground truth).
 *
 * <p>Stages: the SFT model (cached); preference pairs from 4 SFT samples per training prompt, all 6 pairs labelled by
 * the ground truth, ties dropped; a reward model ({@link RewardTrainer}, from the SFT backbone) trained on them, its
 * accuracy measured on pairs built the same way from the held-out prompts; then every {@link FrontierMethod}, each
 * producing a series of (step, KL, reward) points on the held-out prompts: DPO at each β, Preferred-FT, Unlikelihood
 * (every {@code eval_every} steps, through a {@link FrontierSeries} callback on their trainers), Best-of-N against
 * the learned reward model, and PPO against the learned reward model and PPO-GT against the ground truth at each
 * target KL of the adaptive KL controller ({@link PpoMethod}; steps are PPO updates of {@code batch_size} rollouts,
 * evaluated every {@link Settings.Ppo#evalEvery}). The {@link FrontierComparison} of the DPO family against the others
 * decides the verdict; the paper's claim is chiefly DPO's frontier against PPO's. Writes {@code frontier.json},
 * {@code frontier.png} and {@code report.md} ({@link SentimentExperimentReport}); the method runs are under
 * {@code runs/}.
 */
public final class SentimentExperiment {
    /** The claim under test. */
    public static final String CLAIM = "On controlled sentiment generation DPO reaches a better reward/KL frontier"
            + " than PPO and the other baselines (Preferred-FT, Unlikelihood, Best-of-N): at every KL from the"
            + " reference, DPO's best reward is the highest (Rafailov et al. 2023, Fig. 2 left).";
    /** The family the comparison centres on. */
    public static final String DPO_FAMILY = "DPO";

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);
    /** Rows per reward-model scoring batch. */
    private static final int SCORE_BATCH = 64;
    /** Completions per prompt of GRPO and RLOO (it divides every budget's batch size). */
    static final int ONLINE_GENERATIONS = 4;

    /**
     * What a budget runs.
     *
     * @param budget            the budget
     * @param task              the task's sizes (SFT steps, prompts, samples, completion length)
     * @param rewardSteps       reward-model optimizer steps
     * @param rewardLr          reward-model learning rate
     * @param steps             optimizer steps of every trained method
     * @param evalEvery         steps between evaluations (divides steps)
     * @param batchSize         pairs (or sequences) per step, reward model included
     * @param dpoBetas          the β of each DPO series
     * @param learningRate      learning rate of DPO, Preferred-FT and Unlikelihood (constant; one for all, so that
     *                          no method is tuned more than another: 2e-4 keeps the first evaluations at a few nats,
     *                          where 5e-4 put DPO at 4 to 13 nats after 20 steps and left the low-KL frontier
     *                          unsampled)
     * @param unlikelihoodAlpha Unlikelihood's α
     * @param bestOfNMax        the largest N of best-of-N
     * @param bestOfNDraws      best-of-N draws per held-out prompt
     * @param ppo               the PPO and PPO-GT runs
     */
    public record Settings(ExperimentBudget budget, SentimentTask.Config task, int rewardSteps, double rewardLr,
                           int steps, int evalEvery, int batchSize, List<Double> dpoBetas, double learningRate,
                           double unlikelihoodAlpha, int bestOfNMax, int bestOfNDraws, Ppo ppo) {
        /** Checks that the evaluations divide the steps. */
        public Settings {
            if (evalEvery <= 0 || steps % evalEvery != 0) {
                throw new IllegalArgumentException("steps " + steps + " must be a multiple of eval_every " + evalEvery);
            }
            dpoBetas = List.copyOf(dpoBetas);
        }

        /**
         * The PPO runs ({@link PpoMethod}): one PPO and one PPO-GT run per target KL. An update (a rollout of
         * {@code batch_size} prompts, then {@code epochs} passes of policy and value model) costs about three DPO
         * steps of {@code batch_size} pairs, so small gives PPO fewer updates than the other methods' steps and
         * evaluates it more often; the frontier compares reward against KL, whatever the steps.
         *
         * @param targetKls    the adaptive KL controller's targets (nats per completion)
         * @param updates      PPO updates (rollout batches of {@code batch_size} prompts) per run
         * @param evalEvery    updates between evaluations
         * @param learningRate AdamW learning rate (constant): the other methods' rate, not tuned for PPO
         * @param initKlCoef   the controller's initial β (TRL's default {@code kl_coef}, 0.05)
         * @param epochs       PPO epochs (optimizer steps) per rollout (TRL's default, 4)
         */
        public record Ppo(List<Double> targetKls, int updates, int evalEvery, double learningRate, double initKlCoef,
                          int epochs) {
            /** Copies the targets. */
            public Ppo {
                targetKls = List.copyOf(targetKls);
            }
        }

        /**
         * The settings of {@code budget}. smoke: 8 SFT steps, 12 training and 6 held-out prompts, 8-token completions,
         * 4 steps per method, PPO and PPO-GT at target KL 3 for 4 updates of 4 prompts (under a minute). small: 300 SFT
         * steps (as {@code align4j demo}), 256 training and 64 held-out prompts (4 samples each per evaluation),
         * 24-token completions, 120 steps of 16 pairs per method, evaluated every 20, best-of-N up to 64, PPO and
         * PPO-GT at target KLs 2 and 6 for 40 updates of 16 prompts, evaluated every 10, then GRPO, RLOO, KTO, ORPO
         * and SimPO at PPO's and DPO's budgets (measured: 1,012 CPU-seconds and 9.5 minutes of wall time on two shared
         * cores with the SFT model cached, each PPO run about 40 s, each GRPO or RLOO run 21 s, KTO, ORPO and SimPO
         * 26 s; the SFT adds about 250 CPU-seconds, 2 to 4 minutes). full: 2,000 SFT steps, 2,048 training and 256
         * held-out prompts (8 samples each), 48-token completions, 1,000 steps of 32 per method evaluated every 100,
         * best-of-N up to 128, PPO and PPO-GT at target KLs 1, 3, 6 and 12 for 1,000 updates of 32 prompts evaluated
         * every 100 (estimated from small's stages: 30 times its DPO and baseline stages, 6.7 times its SFT, and for
         * PPO, GRPO and RLOO 50 times their updates at about 4 times the cost each: some 48,000 CPU-seconds, of which
         * PPO 28,000 and GRPO with RLOO 11,000; 7 hours on two idle cores, up to 13 when shared).
         */
        public static Settings of(ExperimentBudget budget) {
            List<Double> betas = List.of(0.05, 0.1, 1.0, 5.0);
            return switch (budget) {
                case SMOKE -> new Settings(budget, new SentimentTask.Config(8, 12, 6, 2, 8), 4, 2e-4, 4, 2, 4, betas,
                        2e-4, 1.0, 4, 1, new Ppo(List.of(3.0), 4, 2, 2e-4, 0.05, 4));
                case SMALL -> new Settings(budget, new SentimentTask.Config(300, 256, 64, 4, 24), 120, 2e-4, 120, 20,
                        16, betas, 2e-4, 1.0, 64, 2, new Ppo(List.of(2.0, 6.0), 40, 10, 2e-4, 0.05, 4));
                case FULL -> new Settings(budget, new SentimentTask.Config(2000, 2048, 256, 8, 48), 1000, 2e-4, 1000,
                        100, 32, betas, 2e-4, 1.0, 128, 4, new Ppo(List.of(1.0, 3.0, 6.0, 12.0), 1000,
                        100, 2e-4, 0.05, 4));
            };
        }
    }

    private final Settings settings;
    private final List<FrontierMethod> methods;
    private final Path output;
    private final long seed;
    private final PrintStream log;
    private final boolean progressBars;

    /**
     * An experiment under {@code settings} running {@code methods} (see {@link #defaultMethods}), writing into
     * {@code output}, seeded with {@code seed}; progress lines go to {@code log} (and the trainers' progress bars when
     * {@code progressBars}).
     */
    public SentimentExperiment(Settings settings, List<FrontierMethod> methods, Path output, long seed,
                               PrintStream log, boolean progressBars) {
        if (methods.stream().noneMatch(m -> m.family().equals(DPO_FAMILY))) {
            throw new IllegalArgumentException("the sentiment experiment needs a method of the " + DPO_FAMILY
                    + " family");
        }
        if (methods.stream().map(FrontierMethod::name).distinct().count() != methods.size()) {
            throw new IllegalArgumentException("method names must be unique");
        }
        this.settings = settings;
        this.methods = List.copyOf(methods);
        this.output = output;
        this.seed = seed;
        this.log = log;
        this.progressBars = progressBars;
    }

    /**
     * DPO at each β of the settings, Preferred-FT, Unlikelihood, Best-of-N, PPO and PPO-GT at each target KL (the
     * paper's methods), then GRPO and RLOO on the learned reward model and on the ground truth (PPO's budget: as many
     * generation batches as PPO's updates, each as many completions as an update samples, {@value #ONLINE_GENERATIONS}
     * per prompt, used for as many optimizer steps as PPO's epochs; β 0.04 as DeepSeekMath and 0.05 as TRL's RLOO), and KTO (β 0.1), ORPO (λ 0.1) and SimPO (β 2, γ 1: the SimPO paper's range for β and γ/β)
     * on the preference pairs with DPO's budget.
     */
    public static List<FrontierMethod> defaultMethods(Settings settings) {
        List<FrontierMethod> out = new ArrayList<>();
        for (double beta : settings.dpoBetas()) {
            out.add(new DpoMethod(beta, settings.learningRate()));
        }
        out.add(new PreferredFtMethod(settings.learningRate()));
        out.add(new UnlikelihoodMethod(settings.unlikelihoodAlpha(), settings.learningRate()));
        out.add(new BestOfNMethod(settings.bestOfNMax(), settings.bestOfNDraws()));
        Settings.Ppo ppo = settings.ppo();
        for (boolean groundTruth : new boolean[] {false, true}) {
            for (double target : ppo.targetKls()) {
                out.add(new PpoMethod(groundTruth, target, ppo.updates(), ppo.evalEvery(), ppo.learningRate(),
                        ppo.initKlCoef(), ppo.epochs()));
            }
        }
        for (boolean rloo : new boolean[] {false, true}) {
            for (boolean groundTruth : new boolean[] {false, true}) {
                out.add(new OnlineRlMethod(rloo, groundTruth, rloo ? 0.05 : 0.04, ppo.updates(), ppo.epochs(),
                        ppo.evalEvery(), settings.learningRate(), ONLINE_GENERATIONS));
            }
        }
        out.add(new ReferenceFreeMethod("kto", 0.1, 0, settings.learningRate()));
        out.add(new ReferenceFreeMethod("orpo", 0.1, 0, settings.learningRate()));
        out.add(new ReferenceFreeMethod("simpo", 2.0, 1.0, settings.learningRate()));
        return out;
    }

    /** Runs every stage and method and writes {@code frontier.json}, {@code frontier.png} and {@code report.md}. */
    public SentimentExperimentResult run() throws IOException {
        long started = System.nanoTime();
        double cpuStarted = cpuSeconds();
        Map<String, Double> timings = new LinkedHashMap<>();
        SentimentTask task = SentimentTask.prepare(settings.task(), seed, output, log, progressBars);
        timings.put("sft_and_prompts", seconds(started));

        long t = System.nanoTime();
        List<Example> trainPairs = task.preferencePairs(task.reference(), task.trainPrompts(), seed + 1);
        List<Example> heldOutPairs = task.preferencePairs(task.reference(), task.heldOutPrompts(), seed + 2);
        if (trainPairs.isEmpty() || heldOutPairs.isEmpty()) {
            throw new IllegalStateException("every sample tied in ground-truth reward: no preference pair (train "
                    + trainPairs.size() + ", held-out " + heldOutPairs.size() + "); use a larger budget");
        }
        log.printf(Locale.ROOT, "%d training pairs from %d prompts, %d held-out pairs from %d prompts%n",
                trainPairs.size(), task.trainPrompts().size(), heldOutPairs.size(), task.heldOutPrompts().size());
        timings.put("pairs", seconds(t));

        t = System.nanoTime();
        RewardModel rewardModel = RewardModel.fromCausalLM(task.loadSftModel(), seed);
        RewardTokenization pairs = new RewardTokenization(new SftTokenization(task.tokenizer(), true));
        List<PreferencePair> rmTrain = trainPairs.stream().map(pairs::wholeTexts).toList();
        List<PreferencePair> rmHeldOut = heldOutPairs.stream().map(pairs::wholeTexts).toList();
        RewardTrainer.forPairs(rewardModel, task.tokenizerDir(), RewardConfig.defaults(),
                TrainingArguments.defaults().withOptions(Map.ofEntries(
                Map.entry("output_dir", output.resolve("runs").resolve("reward-model").toString()),
                Map.entry("learning_rate", settings.rewardLr()), Map.entry("max_steps", settings.rewardSteps()),
                Map.entry("per_device_train_batch_size", settings.batchSize()),
                Map.entry("logging_steps", Math.max(1, settings.rewardSteps() / 10)), Map.entry("save_strategy", "no"),
                Map.entry("seed", seed), Map.entry("disable_tqdm", !progressBars))),
                rmTrain, List.of()).train();
        SentimentExperimentResult.RewardModelSummary rm = new SentimentExperimentResult.RewardModelSummary(
                settings.rewardSteps(), rmTrain.size(), rmHeldOut.size(), accuracy(rewardModel, rmTrain),
                accuracy(rewardModel, rmHeldOut));
        log.printf(Locale.ROOT, "reward model: pair accuracy %.3f on training pairs, %.3f on held-out pairs%n",
                rm.trainAccuracy(), rm.heldOutAccuracy());
        timings.put("reward_model", seconds(t));

        long evalSeed = seed + 3;
        FrontierPoint sftPoint = FrontierPoint.of(0, task.evaluate(task.reference(), evalSeed));
        log.printf(Locale.ROOT, "SFT model: reward %.4f (KL 0 by definition)%n", sftPoint.reward());
        MethodContext context = new MethodContext(task, trainPairs, rewardModel, settings.steps(),
                settings.evalEvery(), settings.batchSize(), evalSeed, sftPoint, output.resolve("runs"), log,
                progressBars);
        Map<String, MethodResult> results = new LinkedHashMap<>();
        Set<String> paperFamilies = new HashSet<>();
        for (FrontierMethod m : methods) {
            if (m.inPaper()) {
                paperFamilies.add(m.family());
            }
            log.printf(Locale.ROOT, "%s: %s%n", m.name(), m.description());
            t = System.nanoTime();
            List<FrontierPoint> points = m.run(context);
            double s = seconds(t);
            results.put(m.name(), new MethodResult(m.family(), m.description(), points, s));
            timings.put(m.name(), s);
        }
        Map<String, List<FrontierPoint>> families = new LinkedHashMap<>();
        results.values().forEach(r -> families.computeIfAbsent(r.family(), k -> new ArrayList<>())
                .addAll(r.points()));
        Map<String, List<FrontierPoint>> inPaper = new LinkedHashMap<>(families);
        inPaper.keySet().retainAll(paperFamilies);
        FrontierComparison comparison = FrontierComparison.of(DPO_FAMILY, inPaper);
        SentimentExperimentResult result = new SentimentExperimentResult(CLAIM, settings.budget().label(), seed,
                settings, sft(task.sft()), new SentimentExperimentResult.PairSummary(task.trainPrompts().size(),
                trainPairs.size(), task.heldOutPrompts().size(), heldOutPairs.size()), rm, sftPoint, results,
                comparison, placements(families, paperFamilies), timings, seconds(started),
                cpuSeconds() - cpuStarted);
        Files.createDirectories(output);
        OutputFile.writeString(output.resolve(SentimentExperimentResult.FILE_NAME), JSON.writeValueAsString(result));
        SentimentExperimentReport.write(result, output);
        return result;
    }

    /**
     * Where each family beyond the paper's lies: DPO's frontier against it, and PPO's (when PPO ran), over the
     * points of every family.
     */
    private static Map<String, SentimentExperimentResult.Placement> placements(
            Map<String, List<FrontierPoint>> families, Set<String> paperFamilies) {
        FrontierComparison dpo = FrontierComparison.of(DPO_FAMILY, families);
        FrontierComparison ppo = families.containsKey(PpoMethod.PPO_FAMILY)
                ? FrontierComparison.of(PpoMethod.PPO_FAMILY, families) : null;
        Map<String, SentimentExperimentResult.Placement> out = new LinkedHashMap<>();
        for (String family : families.keySet()) {
            if (!paperFamilies.contains(family)) {
                out.put(family, new SentimentExperimentResult.Placement(dpo.versus().get(family),
                        ppo == null ? null : ppo.versus().get(family)));
            }
        }
        return out;
    }

    private static SentimentExperimentResult.SftSummary sft(SentimentTask.SftSummary s) {
        return new SentimentExperimentResult.SftSummary(s.directory().toString(), s.fromCache(), s.steps(),
                s.trainLoss(), s.heldOutLoss(), s.seconds());
    }

    /** Share of pairs whose chosen sequence the reward model rates strictly higher than the rejected one. */
    private static double accuracy(RewardModel model, List<PreferencePair> pairs) {
        List<int[]> chosen = pairs.stream().map(p -> p.chosen().ids()).toList();
        List<int[]> rejected = pairs.stream().map(p -> p.rejected().ids()).toList();
        int correct = 0;
        for (int from = 0; from < pairs.size(); from += SCORE_BATCH) {
            int to = Math.min(pairs.size(), from + SCORE_BATCH);
            double[] c = model.score(chosen.subList(from, to));
            double[] r = model.score(rejected.subList(from, to));
            for (int i = 0; i < c.length; i++) {
                correct += c[i] > r[i] ? 1 : 0;
            }
        }
        return correct / (double) pairs.size();
    }

    /** CPU time of this process so far (all threads), in seconds; NaN where the platform does not say. */
    private static double cpuSeconds() {
        return ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    /** {@code x} without trailing zeros (0.05, 1, 5e-4 as 0.0005), for names and descriptions. */
    static String number(double x) {
        return BigDecimal.valueOf(x).stripTrailingZeros().toPlainString();
    }
}
