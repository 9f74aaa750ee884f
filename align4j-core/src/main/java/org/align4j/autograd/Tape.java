package org.align4j.autograd;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.LongSupplier;
import org.align4j.tensor.Tensor;

/**
 * Reverse-mode autograd over coarse ops: each op run through a recording tape appends its hand-written backward
 * step; {@link #backward(Var)} runs them newest first. An inference tape records nothing, so the intermediate
 * activations of a forward pass (e.g. the reference model's) are garbage as soon as the op returns. A recording tape
 * with gradient checkpointing makes the blocks a model runs through {@link Checkpoint#checkpoint} keep only their
 * inputs and recompute the rest in the backward pass.
 */
public final class Tape {
    private final boolean recording;
    private final boolean gradientCheckpointing;
    private final List<Runnable> steps = new ArrayList<>();
    /** The seeds {@link #seed} hands out, kept for the recomputation (a checkpointed block's forward), or null. */
    private final List<Long> drawnSeeds;
    /** The seeds {@link #seed} hands out again (a checkpointed block's recomputation), or null. */
    private final Iterator<Long> replayedSeeds;
    /** NEFTune's α for the input embeddings of the forwards run on this tape (0: none). */
    private final double neftuneNoiseAlpha;
    private final long neftuneSeed;
    private long neftuneDraws;

    private Tape(boolean recording, boolean gradientCheckpointing, List<Long> drawnSeeds,
                 Iterator<Long> replayedSeeds, double neftuneNoiseAlpha, long neftuneSeed) {
        this.recording = recording;
        this.gradientCheckpointing = gradientCheckpointing;
        this.drawnSeeds = drawnSeeds;
        this.replayedSeeds = replayedSeeds;
        this.neftuneNoiseAlpha = neftuneNoiseAlpha;
        this.neftuneSeed = neftuneSeed;
    }

    /** A tape that records backward steps (training). */
    public static Tape recording() {
        return recording(false);
    }

    /**
     * A tape that records backward steps, with {@code gradientCheckpointing} (HF's {@code gradient_checkpointing}):
     * whether checkpointed blocks keep only their input and are recomputed during {@link #backward}.
     */
    public static Tape recording(boolean gradientCheckpointing) {
        return new Tape(true, gradientCheckpointing, null, null, 0, 0);
    }

    /**
     * A recording tape as {@link #recording(boolean)} whose model forwards add NEFTune noise of {@code alpha}
     * (HF's {@code neftune_noise_alpha}) to their input embeddings, the k-th forward drawing it from a stream seeded
     * with {@code seed} + k, so that a step's noise depends on the seed alone (and a resumed run draws the same).
     */
    public static Tape recording(boolean gradientCheckpointing, double neftuneNoiseAlpha, long seed) {
        if (!(neftuneNoiseAlpha >= 0) || !Double.isFinite(neftuneNoiseAlpha)) {
            throw new IllegalArgumentException("neftune noise alpha must be finite and >= 0, got " + neftuneNoiseAlpha);
        }
        return new Tape(true, gradientCheckpointing, null, null, neftuneNoiseAlpha, seed);
    }

    /** A tape that records nothing (inference, reference model). */
    public static Tape inference() {
        return new Tape(false, false, null, null, 0, 0);
    }

    /** The tape a checkpointed block's forward pass runs on: it records, and keeps the seeds drawn into {@code seeds}. */
    static Tape blockForward(List<Long> seeds) {
        return new Tape(true, false, seeds, null, 0, 0);
    }

    /** The tape a checkpointed block is recomputed on: it records, and hands out {@code seeds} again, in order. */
    static Tape blockRecomputation(List<Long> seeds) {
        return new Tape(true, false, null, seeds.iterator(), 0, 0);
    }

    /** NEFTune's α for the input embeddings of forwards on this tape; 0 when there is no noise. */
    public double neftuneNoiseAlpha() {
        return neftuneNoiseAlpha;
    }

    /** The seed of the next forward's NEFTune noise ({@link #recording(boolean, double, long)}). */
    public synchronized long nextNeftuneSeed() {
        return neftuneSeed + neftuneDraws++;
    }

    /** Whether backward steps are being recorded. */
    public boolean isRecording() {
        return recording;
    }

    /** Whether {@link Checkpoint#checkpoint} checkpoints the blocks run on this tape. */
    public boolean gradientCheckpointing() {
        return gradientCheckpointing;
    }

    /**
     * A seed for an op's randomness (e.g. a dropout mask): the next of {@code source}, except on the tape that
     * recomputes a checkpointed block, where it is the seed the block's forward pass drew at the same point (and
     * {@code source} is not called), so that the recomputation draws the same masks.
     *
     * @throws IllegalStateException when a recomputed block asks for more seeds than its forward pass drew
     */
    public long seed(LongSupplier source) {
        if (replayedSeeds != null) {
            if (!replayedSeeds.hasNext()) {
                throw new IllegalStateException("the recomputed block draws more seeds than its forward pass drew");
            }
            return replayedSeeds.next();
        }
        long seed = source.getAsLong();
        if (drawnSeeds != null) {
            drawnSeeds.add(seed);
        }
        return seed;
    }

    /**
     * Whether an op's output needs a backward step: the tape records and at least one input requires a gradient.
     */
    public boolean needsGrad(Var... inputs) {
        if (!recording) {
            return false;
        }
        for (Var v : inputs) {
            if (v != null && v.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    /** Appends a backward step (ignored on an inference tape). */
    void record(Runnable backwardStep) {
        if (recording) {
            steps.add(backwardStep);
        }
    }

    /**
     * Back-propagates from a scalar: seeds d(loss)/d(loss) = 1, runs the recorded steps newest first, then clears
     * the tape (its activations become garbage).
     */
    public void backward(Var loss) {
        if (!recording) {
            throw new IllegalStateException("backward on an inference tape");
        }
        if (loss.value().size() != 1) {
            throw new IllegalArgumentException("backward needs a scalar loss, got " + loss.value());
        }
        loss.grad().data()[0] += 1f;
        runSteps();
    }

    /**
     * Back-propagates {@code outputGrad} from {@code output}, whose gradient has not been allocated yet (a
     * recomputed block's output): the gradient becomes a copy of {@code outputGrad}, then the steps run as in
     * {@link #backward(Var)}.
     */
    void backward(Var output, Tensor outputGrad) {
        if (!output.value().sameShape(outputGrad) || output.hasGrad()) {
            throw new IllegalStateException("backward from " + output + " with gradient " + outputGrad);
        }
        System.arraycopy(outputGrad.data(), 0, output.grad().data(), 0, outputGrad.size());
        runSteps();
    }

    private void runSteps() {
        for (int i = steps.size() - 1; i >= 0; i--) {
            steps.get(i).run();
            steps.set(i, null);
        }
        steps.clear();
    }
}
