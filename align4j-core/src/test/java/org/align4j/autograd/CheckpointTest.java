package org.align4j.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The checkpointed block op: when it recomputes, what the recomputation sees, and its gradients. */
class CheckpointTest {
    private static Var random(long seed, boolean requiresGrad, int... shape) {
        Tensor t = Tensor.zeros(shape);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < t.size(); i++) {
            t.data()[i] = (float) rng.nextGaussian();
        }
        return new Var(t, requiresGrad);
    }

    /** Input and parameter gradients of Σ weights · block(x) for two chained blocks, with or without checkpointing. */
    private static List<float[]> gradients(boolean checkpointing, int[] forwards) {
        Var x = random(1, true, 4, 6);
        Var w = random(2, true, 6, 6);
        Var b = random(3, true, 6);
        Checkpoint.Block block = (tape, in) -> {
            forwards[0]++;
            Var dropped = Ops.dropout(tape, Ops.gelu(tape, Ops.linear(tape, in, w, b)), 0.25,
                    new SplittableRandom(tape.seed(() -> 100L + forwards[0])));
            return Ops.add(tape, in, dropped);
        };
        Tape tape = Tape.recording(checkpointing);
        Var y = Checkpoint.checkpoint(tape, Checkpoint.checkpoint(tape, x, block), block);
        float[] weights = new float[24];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = 0.1f * (i - 12);
        }
        tape.backward(Ops.weightedSum(tape, y, weights));
        return List.of(y.value().data(), x.grad().data(), w.grad().data(), b.grad().data());
    }

    @Test
    void recomputesEachBlockOnceInTheBackwardWithItsForwardsSeedsAndTheSameGradients() {
        int[] plainForwards = {0};
        int[] checkpointedForwards = {0};
        List<float[]> plain = gradients(false, plainForwards);
        List<float[]> checkpointed = gradients(true, checkpointedForwards);
        assertEquals(2, plainForwards[0]);
        assertEquals(4, checkpointedForwards[0], "each block's forward runs again in the backward");
        for (int i = 0; i < plain.size(); i++) {
            assertArrayEquals(plain.get(i), checkpointed.get(i), "output and gradients " + i + ", bit for bit");
        }
    }

    @Test
    void runsTheBlockAsIsOnOtherTapes() {
        int[] forwards = {0};
        Var x = random(4, true, 2, 3);
        Checkpoint.Block block = (tape, in) -> {
            forwards[0]++;
            return Ops.scale(tape, in, 2f);
        };
        Var inference = Checkpoint.checkpoint(Tape.inference(), x, block);
        assertFalse(inference.requiresGrad());
        Tape tape = Tape.recording();
        tape.backward(Ops.weightedSum(tape, Checkpoint.checkpoint(tape, x, block), new float[] {1, 1, 1, 1, 1, 1}));
        assertEquals(2, forwards[0], "no recomputation without gradient checkpointing");
        assertArrayEquals(new float[] {2, 2, 2, 2, 2, 2}, x.grad().data());
    }

    @Test
    void aBlockWhoseRecomputationDrawsMoreSeedsFails() {
        List<Integer> calls = new ArrayList<>();
        Var x = random(5, true, 2, 3);
        Checkpoint.Block block = (tape, in) -> {
            calls.add(calls.size());
            for (int i = 0; i < calls.size(); i++) {
                tape.seed(() -> 7L);
            }
            return Ops.scale(tape, in, 3f);
        };
        Tape tape = Tape.recording(true);
        Var loss = Ops.weightedSum(tape, Checkpoint.checkpoint(tape, x, block), new float[6]);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> tape.backward(loss));
        assertEquals("the recomputed block draws more seeds than its forward pass drew", e.getMessage());
    }
}
