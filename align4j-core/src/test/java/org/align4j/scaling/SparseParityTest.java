package org.align4j.scaling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.align4j.autograd.Tape;
import org.junit.jupiter.api.Test;

class SparseParityTest {
    @Test
    void labelsAreTheParityOfEachTasksSubsetAndInputsAreOneHotPlusBits() {
        SparseParity data = SparseParity.create(3, 10, 3, 1.4, 5);
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < 200; i++) {
            SparseParity.Sample s = data.sample(i % 3, rng);
            int parity = 0;
            for (int position : data.subsets()[s.task()]) {
                parity += (int) (s.data() >>> position) & 1;
            }
            assertEquals(parity % 2, s.label());
            assertEquals(0, s.data() >>> 10);
        }
        SparseParity.Sample s = new SparseParity.Sample(1, 0b1000000101L, 0);
        float[] x = data.features(List.of(s));
        assertArrayEquals(new float[] {0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1}, x);
        for (int[] subset : data.subsets()) {
            assertEquals(3, subset.length);
            assertTrue(subset[0] < subset[1] && subset[1] < subset[2]);
        }
    }

    @Test
    void tasksAreDrawnWithZipfFrequencies() {
        SparseParity data = SparseParity.create(4, 8, 2, 1.4, 5);
        double[] p = data.taskProbabilities();
        assertEquals(1, p[0] + p[1] + p[2] + p[3], 1e-12);
        assertEquals(Math.pow(2, -1.4), p[1] / p[0], 1e-12);
        SplittableRandom rng = new SplittableRandom(2);
        double[] cumulative = data.cumulativeProbabilities();
        int[] counts = new int[4];
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            counts[data.sample(rng, cumulative).task()]++;
        }
        for (int t = 0; t < 4; t++) {
            assertEquals(p[t], counts[t] / (double) n, 0.01);
        }
    }

    @Test
    void theMlpLearnsASingleParityTaskWithTheEngine() {
        SparseParity data = SparseParity.create(1, 6, 2, 1.4, 3);
        ParityMlp mlp = new ParityMlp(data, 16, 7);
        assertEquals(16 * 7 + 16 + 2 * 16, mlp.parameterCount());
        SplittableRandom rng = new SplittableRandom(4);
        List<SparseParity.Sample> heldOut = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            heldOut.add(data.sample(0, rng));
        }
        double before = mlp.lossPerTask(heldOut)[0];
        org.align4j.train.AdamW adamw = new org.align4j.train.AdamW(0.9, 0.999, 1e-8, 0);
        for (int step = 0; step < 300; step++) {
            List<SparseParity.Sample> batch = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                batch.add(data.sample(0, rng));
            }
            Tape tape = Tape.recording();
            tape.backward(mlp.loss(tape, batch).loss());
            adamw.step(mlp.trainableParameters(), 1e-2);
            mlp.trainableParameters().values().forEach(org.align4j.autograd.Var::zeroGrad);
        }
        double after = mlp.lossPerTask(heldOut)[0];
        assertEquals(Math.log(2), before, 0.1);
        assertTrue(after < 0.05, "held-out loss " + before + " -> " + after);
    }
}
