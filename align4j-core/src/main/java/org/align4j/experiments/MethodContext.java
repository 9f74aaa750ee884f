package org.align4j.experiments;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.align4j.data.Example;
import org.align4j.data.RewardTokenization;
import org.align4j.data.SftTokenization;
import org.align4j.model.CausalLM;
import org.align4j.model.RewardModel;

/**
 * What every {@link FrontierMethod} of the sentiment experiment gets: the task (SFT model, prompts, ground truth,
 * evaluation), the preference pairs, the learned reward model and the shared training budget.
 *
 * @param task         the sentiment task
 * @param trainPairs   the preference pairs of the training prompts (pre-tokenized, labelled by the ground truth)
 * @param rewardModel  the reward model learned from {@code trainPairs}
 * @param steps        optimizer steps of every trained method
 * @param evalEvery    steps between evaluations (divides {@code steps})
 * @param batchSize    examples (pairs, sequences or prompts) per step
 * @param evalSeed     sampling seed of every evaluation, so that all policies are judged on the same random numbers
 * @param sftPoint     the SFT model's evaluation, the step-0 point of every trained series
 * @param runs         folder holding one run folder per method
 * @param log          progress lines
 * @param progressBars whether trainers show progress bars
 */
public record MethodContext(SentimentTask task, List<Example> trainPairs, RewardModel rewardModel, int steps,
                            int evalEvery, int batchSize, long evalSeed, FrontierPoint sftPoint, Path runs,
                            PrintStream log, boolean progressBars) {

    /** A series of {@code policy} (the model a trainer updates) to add to the trainer as a callback. */
    public FrontierSeries series(String name, CausalLM policy) {
        return series(name, policy, evalEvery);
    }

    /** A series of {@code policy} evaluated every {@code every} steps. */
    public FrontierSeries series(String name, CausalLM policy, int every) {
        return new FrontierSeries(name, task, policy, every, evalSeed, sftPoint, log);
    }

    /** The run folder of method {@code name}. */
    public Path runDir(String name) {
        return runs.resolve(name);
    }

    /**
     * The training options every trained method shares, under HF/TRL names: {@code output_dir} (the run folder),
     * {@code learning_rate}, constant schedule, {@code max_steps}, batch size, one log line per evaluation, no
     * checkpoints, the task's seed; a method adds its own (e.g. DPO's {@code beta}) to a copy.
     */
    public Map<String, Object> trainingOptions(String name, double learningRate) {
        return Map.ofEntries(Map.entry("output_dir", runDir(name).toString()),
                Map.entry("learning_rate", learningRate), Map.entry("lr_scheduler_type", "constant"),
                Map.entry("max_steps", steps), Map.entry("per_device_train_batch_size", batchSize),
                Map.entry("logging_steps", evalEvery), Map.entry("save_strategy", "no"),
                Map.entry("seed", task.seed()), Map.entry("disable_tqdm", !progressBars));
    }

    /** Pairs as sequences: prompt + completion ids, the completion in the loss (as the pairs were sampled). */
    public RewardTokenization pairTokenization() {
        return new RewardTokenization(new SftTokenization(task.tokenizer(), true));
    }
}
