package org.align4j.autograd;

import java.util.ArrayList;
import java.util.List;

/**
 * Gradient checkpointing (Chen et al. 2016, "Training Deep Nets with Sublinear Memory Cost", arXiv 1604.06174), one
 * segment per block as HF's {@code gradient_checkpointing} wraps each decoder layer in
 * {@code torch.utils.checkpoint}: on a tape with {@link Tape#gradientCheckpointing()} the block's forward runs on a
 * sub-tape that is then dropped, so that the main tape keeps only the block's input and output; its backward step
 * runs the block's forward again from that input on a fresh sub-tape and back-propagates the output's gradient
 * through it, into the same input and parameter gradients. The activations of one block at a time exist in the
 * backward pass, at the cost of a second forward of every block.
 *
 * <p>The recomputation performs the same float operations in the same order as the first forward, and the
 * sub-tape's backward steps are those the main tape would have recorded for the block, run in the same order, so
 * the gradients are bit for bit those of a pass without checkpointing (the kernels are deterministic: each output
 * element is written by one thread and reductions keep a fixed order, see {@link org.align4j.tensor.Parallel}). Randomness inside a block goes through
 * {@link Tape#seed}, which hands the recomputation the seeds the forward drew (e.g. the same LoRA dropout masks).
 */
public final class Checkpoint {
    private Checkpoint() {
    }

    /** A block of a model: its output for {@code input}, with its ops run on {@code tape}. */
    @FunctionalInterface
    public interface Block {
        /** The block's output; it reads nothing but {@code input} and long-lived parameters. */
        Var forward(Tape tape, Var input);
    }

    /**
     * {@code block}'s output for {@code input}, checkpointed when {@code tape} says so (otherwise the block simply
     * runs on {@code tape}).
     */
    public static Var checkpoint(Tape tape, Var input, Block block) {
        if (!tape.gradientCheckpointing()) {
            return block.forward(tape, input);
        }
        List<Long> seeds = new ArrayList<>();
        Var forward = block.forward(Tape.blockForward(seeds), input);
        Var result = new Var(forward.value(), forward.requiresGrad());
        if (result.requiresGrad()) {
            tape.record(() -> {
                Tape recomputation = Tape.blockRecomputation(seeds);
                recomputation.backward(block.forward(recomputation, input), result.grad());
            });
        }
        return result;
    }
}
