package org.align4j.align.grpo;

import java.util.List;
import org.align4j.InputException;
import org.align4j.train.TrainingArguments;

/**
 * The sampling and batching options GRPO and RLOO share, under TRL's names ({@code GRPOConfig}, {@code RLOOConfig}):
 * both configurations' option records implement it, and {@link GrpoRollouts} reads it.
 */
public interface RolloutOptions {
    /** {@code num_generations}: completions sampled per prompt (≥ 2). */
    int numGenerations();

    /** {@code max_completion_length}: tokens sampled per completion at most. */
    int maxCompletionLength();

    /** {@code shuffle_dataset}: visit the prompts in a seeded random order each epoch (else in file order). */
    boolean shuffleDataset();

    /** {@code generation_batch_size}: completions sampled at once, or null (see {@link #stepsPerGeneration}). */
    Integer generationBatchSize();

    /**
     * {@code steps_per_generation}: micro-batches cut from each generation batch, or null (then
     * generation_batch_size / per_device_train_batch_size, else gradient_accumulation_steps).
     */
    Integer stepsPerGeneration();

    /** {@code temperature}: of sampling and of the log-probabilities the loss uses. */
    double temperature();

    /** {@code top_p}: nucleus sampling (1.0 disables). */
    double topP();

    /** {@code top_k}: sample among the k most likely tokens (0 disables). */
    int topK();

    /** {@code repetition_penalty} (1.0 disables). */
    double repetitionPenalty();

    /** {@code beta}: the KL coefficient; 0 loads no reference model. */
    double beta();

    /** {@code num_iterations}: optimisation passes over each generation batch (μ). */
    int numIterations();

    /** {@code epsilon}: the lower clipping bound ε_low. */
    double epsilon();

    /** {@code epsilon_high}: the upper clipping bound (null: {@code epsilon}). */
    Double epsilonHigh();

    /** {@code reward_weights}: one per reward function (null: all 1). */
    List<Double> rewardWeights();

    /** {@code mask_truncated_completions}: leave completions without an eos token out of the loss. */
    boolean maskTruncatedCompletions();

    /** {@code disable_dropout}: no dropout in the policy (here: LoRA's). */
    boolean disableDropout();

    /** The upper clipping bound: {@code epsilon_high}, else {@code epsilon}. */
    default double epsilonHighOrLow() {
        return epsilonHigh() != null ? epsilonHigh() : epsilon();
    }

    /** The resolved {@code steps_per_generation} for {@code training}'s batch sizes (TRL's {@code __post_init__}). */
    default int stepsPerGeneration(TrainingArguments training) {
        if (stepsPerGeneration() != null) {
            return stepsPerGeneration();
        }
        if (generationBatchSize() != null) {
            return generationBatchSize() / training.perDeviceTrainBatchSize();
        }
        return training.gradientAccumulationSteps();
    }

    /** The resolved {@code generation_batch_size}: completions sampled at once. */
    default int generationBatchSize(TrainingArguments training) {
        return training.perDeviceTrainBatchSize() * stepsPerGeneration(training);
    }

    /** The per-weights {@code reward_weights} for {@code functions} reward functions. */
    default double[] rewardWeights(int functions) {
        if (rewardWeights() == null) {
            double[] ones = new double[functions];
            java.util.Arrays.fill(ones, 1);
            return ones;
        }
        if (rewardWeights().size() != functions) {
            throw new InputException("reward_weights has " + rewardWeights().size() + " entries for " + functions
                    + " reward functions");
        }
        return rewardWeights().stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Checks these options against each other and {@code training}'s batch sizes, as TRL's {@code __post_init__}. */
    default void check(TrainingArguments training) {
        require(training.shufflesTrainingSet(), "train_sampling_strategy: the prompts' order is set by shuffle_dataset"
                + " (false: dataset order), got '" + training.trainSamplingStrategy() + "'");
        require(numGenerations() >= 2, "num_generations must be at least 2 (the advantages compare completions of "
                + "one prompt), got " + numGenerations());
        require(maxCompletionLength() > 0, "max_completion_length must be > 0, got " + maxCompletionLength());
        require(temperature() > 0 && Double.isFinite(temperature()), "temperature must be > 0, got " + temperature());
        require(topP() > 0 && topP() <= 1, "top_p must be in (0, 1], got " + topP());
        require(topK() >= 0, "top_k must be >= 0, got " + topK());
        require(repetitionPenalty() > 0, "repetition_penalty must be > 0, got " + repetitionPenalty());
        require(Double.isFinite(beta()) && beta() >= 0, "beta must be >= 0, got " + beta());
        require(numIterations() > 0, "num_iterations must be > 0, got " + numIterations());
        require(epsilon() >= 0 && epsilon() < 1, "epsilon must be in [0, 1), got " + epsilon());
        require(epsilonHigh() == null || epsilonHigh() >= 0, "epsilon_high must be >= 0, got " + epsilonHigh());
        require(generationBatchSize() == null || stepsPerGeneration() == null,
                "'generation_batch_size' and 'steps_per_generation' can not be both configured at the same time");
        require(stepsPerGeneration() == null || stepsPerGeneration() > 0,
                "steps_per_generation must be > 0, got " + stepsPerGeneration());
        int perDevice = training.perDeviceTrainBatchSize();
        require(generationBatchSize() == null || generationBatchSize() > 0 && generationBatchSize() % perDevice == 0,
                "generation_batch_size (" + generationBatchSize() + ") must be divisible by the global batch size ("
                        + perDevice + ")");
        int generation = generationBatchSize(training);
        require(generation % numGenerations() == 0, "generation_batch_size (" + generation + ") must be divisible "
                + "by num_generations (" + numGenerations() + ")");
        if (rewardWeights() != null) {
            for (Double w : rewardWeights()) {
                require(w != null && Double.isFinite(w), "reward_weights must be finite numbers, got "
                        + rewardWeights());
            }
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new InputException(message);
        }
    }
}
