package org.align4j.align.grpo;

import java.io.IOException;
import java.util.List;
import org.align4j.data.Example;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.TrainOutput;
import org.align4j.train.TrainerCallback;
import org.align4j.train.TrainerState;
import org.align4j.train.TrainingArguments;

/**
 * TRL's {@code GRPOTrainer}: Group Relative Policy Optimization (Shao et al. 2024, "DeepSeekMath", §4.1, eq. 3) on
 * the shared trainer, with the same inputs as TRL's constructor ({@code model}, {@code reward_funcs}, {@code args},
 * {@code train_dataset}, {@code processing_class}) and the same {@link #train()}.
 *
 * <p>The training set is prompt-only ({@code {"prompt": ...}}, text or messages; other fields reach the reward
 * functions). Each generation batch samples {@code num_generations} completions per prompt ({@link GrpoRollouts}),
 * rates them with the {@link RewardFunction}s, normalises the rewards per group ({@link GroupAdvantages#grpo}) and
 * trains on the clipped surrogate of {@link GrpoLoss}. With {@code beta} 0 (the default) no reference model is used;
 * otherwise the reference is {@code ref_model}, else the LoRA policy with its adapters disabled, else a frozen copy
 * of the model. log π_θold is recorded at sampling time only when the policy may change before the completions are
 * used (gradient_accumulation_steps not a multiple of steps_per_generation × num_iterations), as TRL does.
 */
public final class GrpoTrainer {
    private final OnlineTraining run;

    /**
     * What a run did.
     *
     * @param output  the trainer's summary
     * @param state   its final state (log history)
     * @param prompts the prompts trained on
     */
    public record Result(TrainOutput output, TrainerState state, int prompts) {
    }

    /**
     * A trainer of {@code model}.
     *
     * @param refModel        the reference model, or null (see the class comment)
     * @param rewardFuncs     the reward functions, weighted by {@code reward_weights}
     * @param processingClass the tokenizer
     * @param writer          how checkpoints and the final model are written
     */
    public GrpoTrainer(CausalLM model, CausalLM refModel, GrpoConfig args, List<RewardFunction> rewardFuncs,
                       List<Example> trainDataset, Tokenizer processingClass, HfModelWriter writer) {
        this(model, refModel, args, rewardFuncs, OnlineTraining.prompts(processingClass, trainDataset),
                processingClass, writer);
    }

    /**
     * A trainer of {@code model} on prompts already tokenized (their texts, for the reward functions, decoded by
     * {@code processingClass}).
     */
    public GrpoTrainer(CausalLM model, CausalLM refModel, GrpoConfig args, List<RewardFunction> rewardFuncs,
                       GrpoRollouts.Prompts prompts, Tokenizer processingClass, HfModelWriter writer) {
        GrpoConfig.Options o = args.options();
        double[] weights = o.rewardWeights(rewardFuncs.size());
        GrpoRollouts.AdvantageRule rule = (rewards, names, sequenceKl, activeTokens) ->
                GroupAdvantages.grpo(rewards, names, weights, o.numGenerations(), o.scaleRewards(), o.aggregation());
        this.run = new OnlineTraining("grpo", model, refModel, args, GrpoConfig.FILE_NAME, o, rewardFuncs,
                args.loss(), rule, recordsOldLogps(args.training(), o), prompts, processingClass, writer);
    }

    /**
     * Whether the policy may change between sampling a generation batch and using it: TRL records log π_θold unless
     * {@code gradient_accumulation_steps} is a multiple of {@code steps_per_generation × num_iterations}.
     */
    static boolean recordsOldLogps(TrainingArguments training, RolloutOptions options) {
        int generateEvery = options.stepsPerGeneration(training) * options.numIterations();
        return training.gradientAccumulationSteps() % generateEvery != 0;
    }

    /** Adds {@code callback} to the run's trainer (TRL's {@code callbacks}); returns this trainer. */
    public GrpoTrainer addCallback(TrainerCallback callback) {
        run.addCallback(callback);
        return this;
    }

    /**
     * Trains (resuming when {@code resume_from_checkpoint} says so) and writes the run folder.
     *
     * @throws IOException when the run folder cannot be written
     */
    public Result train() throws IOException {
        TrainOutput output = run.train();
        return new Result(output, run.state(), run.prompts());
    }
}
