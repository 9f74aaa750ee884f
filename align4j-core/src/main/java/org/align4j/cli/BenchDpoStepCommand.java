package org.align4j.cli;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.align4j.InputException;
import org.align4j.align.dpo.AdapterDisabledReference;
import org.align4j.align.dpo.DpoLossConfig;
import org.align4j.align.dpo.DpoTask;
import org.align4j.align.dpo.ModelReference;
import org.align4j.align.dpo.PrecomputedReference;
import org.align4j.align.dpo.ReferenceLogProbs;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.data.Example;
import org.align4j.data.PreferencePair;
import org.align4j.data.PreferenceTokenization;
import org.align4j.data.TruncationMode;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.model.Models;
import org.align4j.model.io.Dtype;
import org.align4j.nn.LoraModel;
import org.align4j.tensor.Backend;
import org.align4j.tensor.Parallel;
import org.align4j.train.AdamW;
import org.align4j.train.HeapPeak;
import org.align4j.train.TaskOutput;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j bench dpo-step}: tokens/s and heap of DPO training steps ({@link DpoTask}: one policy forward and
 * backward over chosen and rejected rows, the reference, the sigmoid loss, AdamW) on a random-init model, with the
 * reference as a frozen model or as precomputed log-probabilities. Heap is reported as {@link HeapPeak}'s peak (an
 * upper bound that follows the collector's sizing) and as what stays live between steps after a GC (weights,
 * gradients, AdamW moments, the reference). {@code --gradient-checkpointing} trains on a checkpointing tape, as
 * {@code gradient_checkpointing} does; {@code --use-peft} trains LoRA adapters on a frozen base, the reference being
 * the base with the adapters disabled, as {@code align4j dpo --use-peft}; {@code --torch-dtype bfloat16} stores the
 * frozen weights (the reference copy, or the LoRA base) in bfloat16.
 */
@Command(name = "dpo-step", mixinStandardHelpOptions = true,
        description = "Time DPO steps (policy forward+backward over 2 x pairs rows, reference, AdamW) on a randomly "
                + "initialised model.")
final class BenchDpoStepCommand implements Callable<Integer> {
    /** Where the reference log-probabilities come from. */
    enum Reference { model, precomputed }

    @Mixin
    PresetModelOptions shape;
    @Mixin
    TorchDtypeOption torchDtype;
    @Mixin
    LoraOptions lora;
    @Option(names = "--pairs", defaultValue = "2", description = "preference pairs per step (default ${DEFAULT-VALUE})")
    int pairs;
    @Option(names = "--seq", defaultValue = "128",
            description = "tokens per sequence, prompt + completion (default ${DEFAULT-VALUE})")
    int seq;
    @Option(names = "--prompt", defaultValue = "64", description = "prompt tokens of each sequence (default ${DEFAULT-VALUE})")
    int prompt;
    @Option(names = "--steps", defaultValue = "5", description = "timed steps after one warm-up (default ${DEFAULT-VALUE})")
    int steps;
    @Option(names = "--reference", defaultValue = "model",
            description = "model: a frozen copy run every step; precomputed: log-probs computed once before "
                    + "(default ${DEFAULT-VALUE})")
    Reference reference;
    @Option(names = "--gradient-checkpointing",
            description = "recompute each block in the backward pass instead of keeping its activations")
    boolean gradientCheckpointing;

    @Override
    public Integer call() {
        if (pairs < 1 || prompt < 1 || seq <= prompt || steps < 1) {
            throw new InputException("--pairs and --steps must be >= 1 and 1 <= --prompt < --seq");
        }
        Dtype storage = torchDtype.storage(null);
        CausalLM policy = shape.randomModel(1);
        long params = policy.parameters().values().stream().mapToLong(v -> v.value().size()).sum();
        List<PreferencePair> batch = randomPairs(policy.config().vocabSize());
        DpoLossConfig loss = DpoLossConfig.defaults();
        ReferenceLogProbs ref;
        if (lora.enabled()) {
            LoraModel adapted = lora.adapt(Models.frozenCopy(policy, storage), shape.toString(), 1);
            policy = adapted;
            ref = switch (reference) {
                case model -> new AdapterDisabledReference(adapted);
                case precomputed -> PrecomputedReference.compute(batch, new AdapterDisabledReference(adapted), loss,
                        pairs, 0);
            };
        } else {
            ref = switch (reference) {
                case model -> ModelReference.frozenCopyOf(policy, storage);
                case precomputed -> PrecomputedReference.compute(batch, new ModelReference(policy), loss, pairs, 0);
            };
        }
        long trainable = policy.parameters().values().stream().mapToLong(v -> v.value().size()).sum();
        DpoTask task = new DpoTask(policy, ref, loss, 0, null, new HfModelWriter(null, null));
        AdamW adamw = new AdamW(0.9, 0.999, 1e-8, 0.0);
        System.out.printf(Locale.ROOT, "%s: %.1fM parameters (%.1fM trained%s), %d pairs x %d tokens (prompt %d),"
                        + " reference %s (%s), %skernels %s, %d threads%n", shape, params / 1e6, trainable / 1e6,
                lora.enabled() ? ", LoRA r " + lora.loraR : "", pairs, seq, prompt, reference, storage.torchName(),
                gradientCheckpointing ? "gradient checkpointing, " : "", Backend.kernels().name(), Parallel.threads());
        step(task, batch, adamw);
        HeapPeak.reset();
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        long t0 = System.nanoTime();
        double lossValue = 0;
        for (int s = 0; s < steps; s++) {
            lossValue = step(task, batch, adamw);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double after = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        long peak = HeapPeak.peakBytes();
        System.gc();
        long retained = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        System.out.printf(Locale.ROOT, "dpo step: %.1f tokens/s (%.3f s/step, %d tokens/step), loss %.4f, peak heap "
                        + "%.0f MiB, retained between steps %.0f MiB, load average %.2f before / %.2f after%n",
                2.0 * pairs * seq * steps / seconds, seconds / steps, 2 * pairs * seq, lossValue, peak / 1048576.0,
                retained / 1048576.0, load, after);
        return 0;
    }

    private List<PreferencePair> randomPairs(int vocab) {
        SplittableRandom rng = new SplittableRandom(7);
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < pairs; i++) {
            examples.add(new Example.TokenizedPreference("random:" + i, rng.ints(prompt, 0, vocab).toArray(),
                    rng.ints(seq - prompt, 0, vocab).toArray(), rng.ints(seq - prompt, 0, vocab).toArray()));
        }
        return new PreferenceTokenization(null, null, TruncationMode.KEEP_START).tokenizeAll(examples).pairs();
    }

    private double step(DpoTask task, List<PreferencePair> batch, AdamW adamw) {
        Tape tape = Tape.recording(gradientCheckpointing);
        TaskOutput out = task.loss(tape, batch);
        tape.backward(out.loss());
        adamw.step(task.trainableParameters(), 1e-6);
        task.trainableParameters().values().forEach(Var::zeroGrad);
        return out.lossValue();
    }
}
