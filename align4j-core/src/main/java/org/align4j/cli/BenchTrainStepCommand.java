package org.align4j.cli;

import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.align4j.InputException;
import org.align4j.align.sft.LanguageModelLoss;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.ModelInput;
import org.align4j.tensor.Backend;
import org.align4j.tensor.Parallel;
import org.align4j.train.AdamW;
import org.align4j.train.HeapPeak;
import org.align4j.train.MeZo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j bench train-step}: tokens/s and peak heap of one training step on a random-init model: forward +
 * backward + AdamW, a MeZO step (two forward passes, no gradients), or a forward pass alone; the AdamW step with
 * {@code --gradient-checkpointing} recomputes each block in the backward pass, as {@code gradient_checkpointing} does.
 */
@Command(name = "train-step", mixinStandardHelpOptions = true,
        description = "Time training steps of a randomly initialised model (no download): adamw_torch (forward +"
                + " backward + AdamW), mezo (two forward passes + update) or forward (inference only).")
final class BenchTrainStepCommand implements Callable<Integer> {
    @Mixin
    PresetModelOptions shape;
    @Option(names = "--batch", defaultValue = "2", description = "sequences per step (default ${DEFAULT-VALUE})")
    int batch;
    @Option(names = "--seq", defaultValue = "128", description = "tokens per sequence (default ${DEFAULT-VALUE})")
    int seq;
    @Option(names = "--steps", defaultValue = "5", description = "timed steps after one warm-up (default ${DEFAULT-VALUE})")
    int steps;
    @Option(names = "--optim", defaultValue = "adamw_torch",
            description = "adamw_torch, mezo or forward (default ${DEFAULT-VALUE})")
    String optim;
    @Option(names = "--gradient-checkpointing",
            description = "adamw_torch: recompute each block in the backward pass instead of keeping its activations")
    boolean gradientCheckpointing;

    @Override
    public Integer call() {
        if (gradientCheckpointing && !optim.equals(AdamW.NAME)) {
            throw new InputException("--gradient-checkpointing needs --optim adamw_torch (" + optim
                    + " keeps no activations for a backward pass)");
        }
        Step step = switch (optim) {
            case AdamW.NAME -> adamw(gradientCheckpointing);
            case MeZo.NAME -> mezo();
            case "forward" -> (model, input) -> LanguageModelLoss.nextToken(Tape.inference(), model, input)
                    .value().get(0);
            default -> throw new InputException("--optim must be adamw_torch, mezo or forward, got '"
                    + optim + "'");
        };
        CausalLM model = shape.randomModel(1234);
        long params = model.parameters().values().stream().mapToLong(v -> v.value().size()).sum();
        SplittableRandom rng = new SplittableRandom(7);
        int[][] ids = new int[batch][seq];
        for (int[] row : ids) {
            for (int t = 0; t < seq; t++) {
                row[t] = rng.nextInt(model.config().vocabSize());
            }
        }
        ModelInput input = ModelInput.of(ids, null);
        System.out.printf("%s: %.1fM parameters, batch %d x seq %d, %s%s, kernels %s, %d threads%n", shape,
                params / 1e6, batch, seq, optim, gradientCheckpointing ? " with gradient checkpointing" : "",
                Backend.kernels().name(), Parallel.threads());
        step.run(model, input);
        HeapPeak.reset();
        long t0 = System.nanoTime();
        float loss = 0;
        for (int s = 0; s < steps; s++) {
            loss = step.run(model, input);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%s step: %.1f tokens/s (%.3f s/step), loss %.4f, peak heap %.0f MiB%n", optim,
                (double) batch * seq * steps / seconds, seconds / steps, loss, HeapPeak.peakBytes() / 1048576.0);
        return 0;
    }

    /** One timed step; returns the loss. */
    private interface Step {
        float run(CausalLM model, ModelInput input);
    }

    private static Step adamw(boolean gradientCheckpointing) {
        AdamW adamw = new AdamW(0.9, 0.999, 1e-8, 0.01);
        return (model, input) -> {
            Tape tape = Tape.recording(gradientCheckpointing);
            Var loss = LanguageModelLoss.nextToken(tape, model, input);
            tape.backward(loss);
            adamw.step(model.parameters(), 1e-4);
            model.parameters().values().forEach(Var::zeroGrad);
            return loss.value().get(0);
        };
    }

    private static Step mezo() {
        MeZo mezo = new MeZo(1e-3, 1, 0, name -> false);
        long[] seed = {0};
        return (model, input) -> {
            MeZo.Estimate e = mezo.estimate(model.parameters(), seed[0]++,
                    () -> LanguageModelLoss.nextToken(Tape.inference(), model, input).value().get(0));
            mezo.step(model.parameters(), 1e-6);
            return (float) ((e.lossPlus() + e.lossMinus()) / 2);
        };
    }
}
