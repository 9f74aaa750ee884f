package org.align4j.autograd;

import java.util.ArrayList;
import java.util.List;

/**
 * Reverse-mode autograd over coarse ops: each op run through a recording tape appends its hand-written backward
 * step; {@link #backward(Var)} runs them newest first. An inference tape records nothing, so the intermediate
 * activations of a forward pass (e.g. the reference model's) are garbage as soon as the op returns.
 */
public final class Tape {
    private final boolean recording;
    private final List<Runnable> steps = new ArrayList<>();

    private Tape(boolean recording) {
        this.recording = recording;
    }

    /** A tape that records backward steps (training). */
    public static Tape recording() {
        return new Tape(true);
    }

    /** A tape that records nothing (inference, reference model). */
    public static Tape inference() {
        return new Tape(false);
    }

    /** Whether backward steps are being recorded. */
    public boolean isRecording() {
        return recording;
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
        for (int i = steps.size() - 1; i >= 0; i--) {
            steps.get(i).run();
            steps.set(i, null);
        }
        steps.clear();
    }
}
