package org.align4j.align.grpo;

import java.io.IOException;
import java.util.List;
import org.align4j.data.Example;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.TrainOutput;
import org.align4j.train.TrainerCallback;

/**
 * TRL's {@code RLOOTrainer}: REINFORCE with the leave-one-out baseline over k = {@code num_generations} completions
 * per prompt (Ahmadian et al. 2024, "Back to Basics: Revisiting REINFORCE Style Optimization for Learning from Human
 * Feedback in LLMs", eq. 6) on the shared trainer, with the same inputs as TRL's constructor.
 *
 * <p>Sampling, reward functions and batching are GRPO's ({@link GrpoRollouts}); log π_θold is always recorded at
 * sampling time. The reward of a completion, clipped to {@code reward_clip_range}, is penalised by
 * β·Σ_t (log π_θold − log π_ref) (the reference as for {@link GrpoTrainer}; none when β is 0), its advantage is the
 * reward minus the mean of the group's other rewards ({@link GroupAdvantages#rloo}), and the loss is the clipped
 * sequence-level surrogate of {@link RlooLoss}. The {@code kl} metric is the mean of log π_θold − log π_ref over the
 * generation batch's completion tokens.
 */
public final class RlooTrainer {
    private final OnlineTraining run;

    /**
     * A trainer of {@code model}.
     *
     * @param refModel        the reference model, or null
     * @param rewardFuncs     the reward functions, weighted by {@code reward_weights}
     * @param processingClass the tokenizer
     * @param writer          how checkpoints and the final model are written
     */
    public RlooTrainer(CausalLM model, CausalLM refModel, RlooConfig args, List<RewardFunction> rewardFuncs,
                       List<Example> trainDataset, Tokenizer processingClass, HfModelWriter writer) {
        this(model, refModel, args, rewardFuncs, OnlineTraining.prompts(processingClass, trainDataset),
                processingClass, writer);
    }

    /**
     * A trainer of {@code model} on prompts already tokenized (their texts, for the reward functions, decoded by
     * {@code processingClass}).
     */
    public RlooTrainer(CausalLM model, CausalLM refModel, RlooConfig args, List<RewardFunction> rewardFuncs,
                       GrpoRollouts.Prompts prompts, Tokenizer processingClass, HfModelWriter writer) {
        RlooConfig.Options o = args.options();
        double[] weights = o.rewardWeights(rewardFuncs.size());
        GrpoRollouts.AdvantageRule rule = (rewards, names, sequenceKl, activeTokens) -> {
            double[] penalty = null;
            if (sequenceKl != null) {
                penalty = new double[sequenceKl.length];
                for (int i = 0; i < penalty.length; i++) {
                    penalty[i] = o.beta() * sequenceKl[i];
                }
            }
            GroupAdvantages.Result result = GroupAdvantages.rloo(rewards, names, weights, o.numGenerations(),
                    o.clipRange(), penalty, o.normalizeAdvantages());
            if (sequenceKl != null) {
                double sum = 0;
                for (double kl : sequenceKl) {
                    sum += kl;
                }
                result.metrics().put("kl", sum / Math.max(activeTokens, 1));
            }
            return result;
        };
        this.run = new OnlineTraining("rloo", model, refModel, args, RlooConfig.FILE_NAME, o, rewardFuncs,
                args.loss(), rule, true, prompts, processingClass, writer);
    }

    /** Adds {@code callback} to the run's trainer (TRL's {@code callbacks}); returns this trainer. */
    public RlooTrainer addCallback(TrainerCallback callback) {
        run.addCallback(callback);
        return this;
    }

    /**
     * Trains (resuming when {@code resume_from_checkpoint} says so) and writes the run folder.
     *
     * @throws IOException when the run folder cannot be written
     */
    public GrpoTrainer.Result train() throws IOException {
        TrainOutput output = run.train();
        return new GrpoTrainer.Result(output, run.state(), run.prompts());
    }
}
