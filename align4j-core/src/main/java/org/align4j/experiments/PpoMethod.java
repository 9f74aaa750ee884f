package org.align4j.experiments;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.align4j.align.reward.BestOfN;
import org.align4j.align.ppo.PpoConfig;
import org.align4j.align.ppo.PpoTrainer;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.model.RewardModel;

/**
 * PPO with a KL penalty to the SFT model ({@link PpoTrainer}; Ziegler et al. 2019, Ouyang et al. 2022) at one target
 * KL, with the adaptive KL controller of Ziegler et al. 2019 (eq. 2), as the DPO paper runs its PPO baselines
 * (Rafailov et al. 2023, Fig. 2 left: PPO against the learned reward model, and PPO-GT, an oracle that optimises the
 * ground-truth reward).
 *
 * <ul>
 * <li><b>Reward</b>: PPO scores prompt + completion with the experiment's learned reward model; PPO-GT with the
 *     task's ground truth ({@link SentimentTask#groundTruth} of the completion alone).</li>
 * <li><b>Value model</b>: PPO's starts as a copy of the reward model (as TRL does); PPO-GT's as the SFT backbone with
 *     a fresh scalar head, so that the oracle borrows nothing from the learned reward model.</li>
 * <li><b>Rollouts</b>: one completion per training prompt, sampled as the task samples (temperature 1, top-k 0,
 *     the task's completion length, stopping at its eos); the frozen SFT model is the reference of the per-token
 *     penalty −β·(log π − log π_ref).</li>
 * <li><b>KL controller</b>: β starts at {@code initKlCoef} and adapts towards {@code targetKl} (nats per completion,
 *     the quantity on the experiment's x axis, measured on the rollouts) with horizon = episodes / {@value
 *     #HORIZON_FRACTION}, so that over the run β can move by up to e^(0.2 · {@value #HORIZON_FRACTION}) either way
 *     (TRL's default horizon of 10,000 episodes would let a run of a few thousand episodes move β by a few percent,
 *     leaving the target without effect).</li>
 * <li><b>Steps</b>: one step of the x axis is one PPO update: a rollout batch of {@code batch_size} training prompts
 *     (as many prompts as DPO's step has pairs), then {@code epochs} optimizer steps on it (one mini-batch per
 *     epoch). The series is evaluated on the held-out prompts every {@code evalEvery} updates and after the last.
 *     An update costs about three DPO steps, so a budget may give PPO fewer updates than the other methods' steps
 *     (see {@link SentimentExperiment.Settings.Ppo}).</li>
 * </ul>
 *
 * @param groundTruth  PPO-GT (ground-truth reward) rather than PPO (learned reward model)
 * @param targetKl     the adaptive controller's target KL, nats per completion
 * @param updates      PPO updates (rollout batches)
 * @param evalEvery    updates between evaluations
 * @param learningRate AdamW learning rate (constant) of the policy and value model
 * @param initKlCoef   the controller's initial β
 * @param epochs       {@code num_ppo_epochs}: optimizer steps per rollout
 */
public record PpoMethod(boolean groundTruth, double targetKl, int updates, int evalEvery, double learningRate,
                        double initKlCoef, int epochs) implements FrontierMethod {
    /** The family of PPO on the learned reward model. */
    public static final String PPO_FAMILY = "PPO";
    /** The family of PPO on the ground-truth reward. */
    public static final String PPO_GT_FAMILY = "PPO-GT";
    /** Episodes of a run per horizon of the KL controller. */
    static final int HORIZON_FRACTION = 20;
    /** Rows per reward-model scoring batch. */
    private static final int SCORE_BATCH = 64;

    /** Checks the sizes. */
    public PpoMethod {
        if (!(targetKl > 0) || updates <= 0 || evalEvery <= 0 || epochs <= 0) {
            throw new IllegalArgumentException("PPO needs a target KL > 0 and positive updates, eval interval and"
                    + " epochs, got " + targetKl + ", " + updates + ", " + evalEvery + ", " + epochs);
        }
    }

    @Override
    public String name() {
        return (groundTruth ? "ppo-gt-kl" : "ppo-kl") + SentimentExperiment.number(targetKl);
    }

    @Override
    public String family() {
        return groundTruth ? PPO_GT_FAMILY : PPO_FAMILY;
    }

    @Override
    public String description() {
        return String.format(Locale.ROOT, "%s, adaptive KL target %s nats (init beta %s), %d updates x %d PPO"
                        + " epochs, lr %s; value model from %s", groundTruth ? "PPO on the ground-truth reward"
                        : "PPO on the learned reward model", SentimentExperiment.number(targetKl),
                SentimentExperiment.number(initKlCoef), updates, epochs,
                SentimentExperiment.number(learningRate),
                groundTruth ? "the SFT backbone with a fresh head" : "the reward model");
    }

    @Override
    public List<FrontierPoint> run(MethodContext context) throws IOException {
        SentimentTask task = context.task();
        CausalLM policy = task.loadSftModel();
        RewardModel value = groundTruth ? RewardModel.fromCausalLM(task.loadSftModel(), task.seed())
                : context.rewardModel().copy();
        PpoTrainer.ResponseScorer scorer = groundTruth
                ? (prompts, responses) -> Arrays.stream(responses).mapToDouble(task::groundTruth).toArray()
                : PpoTrainer.ResponseScorer.of(BestOfN.rewardModel(context.rewardModel(), SCORE_BATCH));
        long episodes = (long) updates * context.batchSize();
        Map<String, Object> options = new HashMap<>(context.trainingOptions(name(), learningRate));
        options.remove("max_steps");
        options.put("total_episodes", episodes);
        options.put("num_ppo_epochs", epochs);
        options.put("response_length", task.config().maxNewTokens());
        options.put("stop_token_id", SentimentTask.EOS);
        options.put("temperature", 1.0);
        options.put("adap_kl_ctrl", true);
        options.put("init_kl_coef", initKlCoef);
        options.put("target", targetKl);
        options.put("horizon", (double) episodes / HORIZON_FRACTION);
        FrontierSeries series = context.series(name(), policy);
        new PpoTrainer(policy, task.reference(), value, scorer, task.trainPrompts().toArray(int[][]::new),
                PpoConfig.defaults().withOptions(options),
                new HfModelWriter(EmbeddedModel.generationConfig(), task.tokenizerDir()))
                .train(evalEvery, (trainer, metrics) -> series.add(trainer.updates()));
        return series.points();
    }
}
