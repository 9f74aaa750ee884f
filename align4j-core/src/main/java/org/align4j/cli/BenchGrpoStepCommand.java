package org.align4j.cli;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.align4j.InputException;
import org.align4j.align.grpo.GroupAdvantages;
import org.align4j.align.grpo.GrpoConfig;
import org.align4j.align.grpo.GrpoRollouts;
import org.align4j.align.grpo.GrpoSample;
import org.align4j.align.grpo.GrpoTask;
import org.align4j.align.grpo.RewardFunction;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.tensor.Backend;
import org.align4j.tensor.Parallel;
import org.align4j.train.BatchSource;
import org.align4j.train.Optimizer;
import org.align4j.train.Optimizers;
import org.align4j.train.TaskOutput;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j bench grpo-step}: where the time of a GRPO step goes on a random-init model. Each step samples a
 * generation batch ({@code --prompts} prompts of 16 random tokens, {@code --generations} completions each, exactly
 * {@code --completion-length} tokens: no eos), rates it with a random reward, and takes one AdamW step on it (GRPO's
 * dapo loss, one micro-batch, β 0); the generation and the update are timed apart, after {@code --warmup} steps.
 */
@Command(name = "grpo-step", mixinStandardHelpOptions = true,
        description = "Share of a GRPO step spent generating, and completions/s, on a randomly initialised model.")
final class BenchGrpoStepCommand implements Callable<Integer> {
    private static final int PROMPT_TOKENS = 16;

    @Mixin
    PresetModelOptions shape;
    @Option(names = "--generations", defaultValue = "8", description = "completions per prompt (default ${DEFAULT-VALUE})")
    int generations;
    @Option(names = "--prompts", defaultValue = "1", description = "prompts per step (default ${DEFAULT-VALUE})")
    int prompts;
    @Option(names = "--completion-length", defaultValue = "64",
            description = "tokens per completion (default ${DEFAULT-VALUE})")
    int completionLength;
    @Option(names = "--steps", defaultValue = "4", description = "timed steps after the warm-up (default ${DEFAULT-VALUE})")
    int steps;
    @Option(names = "--warmup", defaultValue = "3",
            description = "untimed steps first, while the JIT compiles (default ${DEFAULT-VALUE})")
    int warmup;

    @Override
    public Integer call() {
        if (generations < 2 || prompts < 1 || completionLength < 1 || steps < 1 || warmup < 0) {
            throw new InputException("--generations must be >= 2, --prompts, --completion-length and --steps >= 1, "
                    + "--warmup >= 0");
        }
        CausalLM model = shape.randomModel(1234);
        int completions = generations * prompts;
        Map<String, Object> options = new HashMap<>(Map.of("per_device_train_batch_size", completions, "num_generations", generations,
                "max_completion_length", completionLength, "gradient_checkpointing", false, "learning_rate", 1e-6));
        GrpoConfig config = GrpoConfig.defaults().withOptions(options);
        SplittableRandom rng = new SplittableRandom(7);
        int[][] ids = new int[prompts * (warmup + steps)][PROMPT_TOKENS];
        for (int[] row : ids) {
            for (int t = 0; t < row.length; t++) {
                row[t] = rng.nextInt(model.config().vocabSize());
            }
        }
        List<String> texts = Collections.nCopies(ids.length, "");
        GrpoRollouts.Prompts promptSet = new GrpoRollouts.Prompts(ids, texts, Collections.nCopies(ids.length,
                Map.of()), Collections.nCopies(ids.length, "random prompt"));
        SplittableRandom draws = new SplittableRandom(11);
        RewardFunction random = RewardFunction.ofBatch("random", batch -> batch.stream()
                .mapToDouble(c -> draws.nextDouble()).toArray());
        GrpoConfig.Options o = config.options();
        GrpoRollouts rollouts = new GrpoRollouts(model, null, null, promptSet, o, config.training(), List.of(random),
                (rewards, names, kl, active) -> GroupAdvantages.grpo(rewards, names, new double[] {1}, generations,
                        o.scaleRewards(), o.aggregation()), false, List.of(), null);
        GrpoTask task = new GrpoTask(model, config.loss(), o.temperature(), new HfModelWriter(null, null));
        Map<String, Var> parameters = task.trainableParameters();
        Optimizer optimizer = Optimizers.create(config.training(), parameters);
        System.out.printf(Locale.ROOT, "%s: %d prompts x %d completions of %d tokens per step, kernels %s, %d threads%n",
                shape, prompts, generations, completionLength, Backend.kernels().name(), Parallel.threads());
        double generating = 0;
        double updating = 0;
        for (int step = 0; step < warmup + steps; step++) {
            long t0 = System.nanoTime();
            BatchSource.MicroBatch<GrpoSample> batch = rollouts.microBatch(0, step);
            long t1 = System.nanoTime();
            Tape tape = Tape.recording();
            TaskOutput out = task.loss(tape, batch.items());
            tape.backward(out.loss());
            optimizer.step(parameters, 1e-6);
            parameters.values().forEach(Var::zeroGrad);
            long t2 = System.nanoTime();
            if (step >= warmup) {
                generating += (t1 - t0) / 1e9;
                updating += (t2 - t1) / 1e9;
            }
            System.out.printf(Locale.ROOT, "  step %d%s: generation %.2f s, loss + backward + AdamW %.2f s%n", step,
                    step < warmup ? " (warm-up)" : "", (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        }
        System.out.printf(Locale.ROOT, "generation: %.1f%% of a step; %.2f completions/s (%.1f tokens/s); a step "
                        + "%.2f s, the update %.2f s%n", 100 * generating / (generating + updating),
                completions * steps / generating, (double) completions * completionLength * steps / generating,
                (generating + updating) / steps, updating / steps);
        return 0;
    }
}
