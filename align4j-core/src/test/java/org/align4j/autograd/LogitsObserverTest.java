package org.align4j.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The fused lm_head shows each projected row's logits once, as {@code Ops.logits} computes them. */
class LogitsObserverTest {
    @Test
    void everyRowWithATargetIsObservedOnceWithItsLogits() {
        SplittableRandom rng = new SplittableRandom(3);
        int rows = 7;
        int dim = 5;
        int vocab = 11;
        float[] h = new float[rows * dim];
        float[] w = new float[vocab * dim];
        for (int i = 0; i < h.length; i++) {
            h[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rng.nextGaussian();
        }
        Var hidden = new Var(Tensor.of(h, rows, dim), true);
        Var lmHead = new Var(Tensor.of(w, vocab, dim), true);
        int[] targets = {3, -1, 0, 10, -1, 4, 2};
        List<Integer> seen = new ArrayList<>();
        Tape tape = Tape.recording();
        Var withObserver = Ops.tokenLogProbs(tape, hidden, lmHead, targets, null, (ids, logits) -> {
            Tensor expected = Ops.logits(hidden, lmHead, ids);
            assertArrayEquals(expected.data(), Arrays.copyOf(logits.data(), ids.length * vocab), 1e-5f,
                    "the same projection (up to the rounding of another JIT tier)");
            Arrays.stream(ids).forEach(seen::add);
        }, 2 * vocab);
        assertEquals(List.of(0, 2, 3, 5, 6), seen, "in chunks of 2 rows, only rows with a target");
        assertArrayEquals(Ops.tokenLogProbs(Tape.inference(), hidden, lmHead, targets).value().data(),
                withObserver.value().data(), 1e-5f);
    }
}
