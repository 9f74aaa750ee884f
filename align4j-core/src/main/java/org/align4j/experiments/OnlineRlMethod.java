package org.align4j.experiments;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.align4j.align.grpo.GrpoConfig;
import org.align4j.align.grpo.GrpoRollouts;
import org.align4j.align.grpo.GrpoTrainer;
import org.align4j.align.grpo.RewardFunction;
import org.align4j.align.grpo.RewardFunctions;
import org.align4j.align.grpo.RlooConfig;
import org.align4j.align.grpo.RlooTrainer;
import org.align4j.model.CausalLM;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.HfModelWriter;

/**
 * GRPO ({@link GrpoTrainer}: group-normalised advantages, the clipped surrogate, β·k3 KL to the SFT model in the
 * loss) or RLOO ({@link RlooTrainer}: leave-one-out baseline, β·KL in the reward) on the sentiment task, rewarded by
 * the ground truth (AFINN of the completion, as PPO-GT) or by the experiment's learned reward model (as PPO).
 *
 * <p>Matched to PPO's budget: each of PPO's updates becomes a generation batch of {@code batch_size} completions,
 * {@code generations} per prompt (as many completions as a PPO update samples; sampled as the task samples:
 * temperature 1, no top-k, the task's completion length, stopping at its eos), used for {@code iterations}
 * optimizer steps ({@code num_iterations}, μ: PPO's epochs, with the clipped importance ratio doing what PPO's
 * does). One step of the x axis is one optimizer step, so a run is {@code updates × iterations} steps, evaluated every
 * {@code evalEvery × iterations}. The frozen SFT model is the KL reference; TRL's other defaults (loss_type dapo for
 * GRPO).
 *
 * @param rloo         RLOO rather than GRPO
 * @param groundTruth  the ground-truth reward rather than the learned reward model
 * @param beta         the KL coefficient β
 * @param updates      generation batches (PPO's updates)
 * @param iterations   optimizer steps per generation batch (PPO's epochs)
 * @param evalEvery    generation batches between evaluations
 * @param learningRate AdamW learning rate (constant)
 * @param generations  completions per prompt ({@code num_generations})
 */
public record OnlineRlMethod(boolean rloo, boolean groundTruth, double beta, int updates, int iterations,
                             int evalEvery, double learningRate, int generations) implements FrontierMethod {
    /** Rows per reward-model scoring batch. */
    private static final int SCORE_BATCH = 64;

    @Override
    public String name() {
        return (rloo ? "rloo" : "grpo") + (groundTruth ? "-gt" : "") + "-beta" + SentimentExperiment.number(beta);
    }

    @Override
    public String family() {
        return (rloo ? "RLOO" : "GRPO") + (groundTruth ? "-GT" : "");
    }

    @Override
    public boolean inPaper() {
        return false;
    }

    @Override
    public String description() {
        return String.format(Locale.ROOT, "%s on the %s, beta %s, %d completions per prompt, %d generation batches"
                        + " x %d iterations, lr %s", rloo ? "RLOO" : "GRPO",
                groundTruth ? "ground-truth reward" : "learned reward model", SentimentExperiment.number(beta),
                generations, updates, iterations, SentimentExperiment.number(learningRate));
    }

    @Override
    public List<FrontierPoint> run(MethodContext context) throws IOException {
        SentimentTask task = context.task();
        CausalLM policy = task.loadSftModel();
        RewardFunction reward = groundTruth
                ? RewardFunction.ofBatch("ground_truth", completions -> completions.stream()
                        .mapToDouble(c -> task.groundTruth(c.completionIds())).toArray())
                : RewardFunctions.rewardModel("reward_model", context.rewardModel(), SCORE_BATCH);
        Map<String, Object> options = new HashMap<>(context.trainingOptions(name(), learningRate));
        options.put("max_steps", updates * iterations);
        options.put("num_iterations", iterations);
        options.put("logging_steps", evalEvery * iterations);
        options.put("num_generations", generations);
        options.put("max_completion_length", task.config().maxNewTokens());
        options.put("temperature", 1.0);
        options.put("beta", beta);
        options.put("gradient_checkpointing", false);
        GrpoRollouts.Prompts prompts = GrpoRollouts.Prompts.ofIds(task.trainPrompts(), task.tokenizer(),
                "train prompts");
        HfModelWriter writer = new HfModelWriter(EmbeddedModel.generationConfig(), task.tokenizerDir());
        FrontierSeries series = context.series(name(), policy, evalEvery * iterations);
        if (rloo) {
            new RlooTrainer(policy, task.reference(), RlooConfig.defaults().withOptions(options), List.of(reward),
                    prompts, task.tokenizer(), writer).addCallback(series).train();
        } else {
            new GrpoTrainer(policy, task.reference(), GrpoConfig.defaults().withOptions(options), List.of(reward),
                    prompts, task.tokenizer(), writer).addCallback(series).train();
        }
        return series.points();
    }
}
