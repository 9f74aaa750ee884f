package org.align4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** NEFTune's noise: bounded by α / sqrt(seq · d), training forwards only, reproducible from the tape's seed. */
class NeftuneTest {
    private static Var zeros(int rows, int hidden) {
        return new Var(Tensor.zeros(rows, hidden), false);
    }

    @Test
    void noiseIsUniformWithinTheBoundOnTrainingForwardsOnly() {
        int seq = 8;
        int hidden = 32;
        Var embeddings = zeros(2 * seq, hidden);
        Neftune.addNoise(Tape.recording(false, 5.0, 42), embeddings, seq);
        double bound = 5.0 / Math.sqrt(seq * hidden);
        double max = 0;
        double sum = 0;
        for (float v : embeddings.value().data()) {
            max = Math.max(max, Math.abs(v));
            sum += v;
        }
        assertTrue(max <= bound && max > 0.9 * bound, max + " vs bound " + bound);
        assertEquals(0, sum / embeddings.value().size(), bound / 5, "centred");

        Var inference = zeros(seq, hidden);
        Neftune.addNoise(Tape.inference(), inference, seq);
        Var none = zeros(seq, hidden);
        Neftune.addNoise(Tape.recording(false), none, seq);
        for (Var v : new Var[] {inference, none}) {
            for (float x : v.value().data()) {
                assertEquals(0f, x);
            }
        }
    }

    @Test
    void eachForwardOfATapeDrawsItsOwnNoiseFromTheSeed() {
        Tape tape = Tape.recording(false, 1.0, 7);
        Var first = zeros(4, 8);
        Var second = zeros(4, 8);
        Neftune.addNoise(tape, first, 4);
        Neftune.addNoise(tape, second, 4);
        assertFalse(java.util.Arrays.equals(first.value().data(), second.value().data()));
        Var again = zeros(4, 8);
        Neftune.addNoise(Tape.recording(false, 1.0, 7), again, 4);
        assertArrayEquals(first.value().data(), again.value().data());
    }
}
