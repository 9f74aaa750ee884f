package org.align4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.align4j.autograd.Var;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** torch.optim.SGD steps worked out by hand: p = [1, -2], constant gradient g = [0.5, 1], lr 0.1. */
class SgdTest {

    private static float[] run(Sgd sgd, int steps) {
        Var p = new Var(Tensor.of(new float[] {1f, -2f}, 2), true);
        for (int t = 0; t < steps; t++) {
            p.grad().data()[0] = 0.5f;
            p.grad().data()[1] = 1f;
            sgd.step(Map.of("w", p), 0.1);
            p.zeroGrad();
        }
        return p.value().data();
    }

    @Test
    void momentumWithWeightDecay() {
        // step 1: d = g + 0.01 p = [0.51, 0.98]; buffer = d; p = [0.949, -2.098]
        assertArrayEquals(new float[] {0.949f, -2.098f}, run(new Sgd(0.9, 0.01), 1), 1e-6f);
        // step 2: d = [0.50949, 0.97902]; buffer = 0.9 [0.51, 0.98] + d = [0.96849, 1.86102];
        //         p = [0.949 - 0.096849, -2.098 - 0.186102]
        assertArrayEquals(new float[] {0.852151f, -2.284102f}, run(new Sgd(0.9, 0.01), 2), 1e-6f);
    }

    @Test
    void nesterovAndDampening() {
        // Nesterov step 1: buffer = d = [0.5, 1]; d = d + 0.9 buffer = [0.95, 1.9]; p = [0.905, -2.19]
        assertArrayEquals(new float[] {0.905f, -2.19f}, run(new Sgd(0.9, 0, true, 0, n -> true), 1), 1e-6f);
        // dampening 0.5, step 2: buffer = 0.9 [0.5, 1] + 0.5 [0.5, 1] = [0.7, 1.4]; p = [1 - 0.05 - 0.07, -2 - 0.1 - 0.14]
        assertArrayEquals(new float[] {0.88f, -2.24f}, run(new Sgd(0.9, 0.5, false, 0, n -> true), 2), 1e-6f);
        // plain SGD; weight decay skipped for a parameter the predicate rejects
        assertArrayEquals(new float[] {0.9f, -2.2f}, run(new Sgd(0, 0, false, 0.5, n -> false), 2), 1e-6f);
    }

    @Test
    void rejectsNesterovWithoutMomentum() {
        assertThrows(IllegalArgumentException.class, () -> new Sgd(0, 0, true, 0, n -> true));
    }
}
