package org.align4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** The incremental forward over a {@link KvCache} against the full forward of the training path. */
class KvCacheTest {
    static final java.util.List<String> MODELS = Fixture.NAMES;
    private static final double TOLERANCE = 1e-5;

    /** Prefill 5 tokens, then feed one token at a time: each step's next-token logits are the full forward's. */
    @ParameterizedTest
    @FieldSource("MODELS")
    void stepByStepLogitsEqualTheFullForward(String name) {
        Fixture f = Fixture.load(name);
        CausalLM model = HfModels.load(f.dir());
        int[] row = Fixture.intRows(f.golden().get("input_ids"))[0];
        ModelInput full = ModelInput.of(new int[][] {row}, null);
        Tensor expected = Ops.logits(model.hiddenStates(Tape.inference(), full), model.lmHead());
        int vocab = model.config().vocabSize();
        KvCache cache = new KvCache(model.config(), 1, row.length);
        int prefill = 5;
        for (int end = prefill; end <= row.length; end++) {
            ModelInput step = columns(full, end == prefill ? 0 : end - 1, end);
            Tensor logits = model.nextTokenLogits(step, cache);
            assertEquals(vocab, logits.size());
            assertEquals(end, cache.length());
            double diff = maxDiff(logits, 0, expected, (end - 1) * vocab, vocab);
            assertTrue(diff <= TOLERANCE, name + " after " + end + " tokens: max |logits diff| " + diff);
        }
    }

    /**
     * A left-padded batch fed in chunks of 5, 3, then 1 column (so queries also attend to earlier chunks): every
     * real position's logits equal the full forward of the same padded batch and position ids.
     */
    @ParameterizedTest
    @FieldSource("MODELS")
    void leftPaddedChunksEqualTheFullForward(String name) {
        Fixture f = Fixture.load(name);
        CausalLM model = HfModels.load(f.dir());
        int[][] rows = Fixture.intRows(f.golden().get("input_ids"));
        ModelInput full = ModelInput.leftPadded(new int[][] {rows[0], Arrays.copyOf(rows[1], 8)}, 0);
        Tensor expected = Ops.logits(model.hiddenStates(Tape.inference(), full), model.lmHead());
        int vocab = model.config().vocabSize();
        int seq = full.seq();
        KvCache cache = new KvCache(model.config(), 2, seq + 1);
        int[] ends = {5, 8, 9, 10, 11, 12};
        int start = 0;
        for (int end : ends) {
            ModelInput chunk = columns(full, start, end);
            Var hidden = model.hiddenStates(chunk, cache);
            Tensor logits = Ops.logits(hidden, model.lmHead());
            for (int b = 0; b < 2; b++) {
                for (int t = start; t < end; t++) {
                    if (full.attentionMask()[b * seq + t] == 0) {
                        continue;
                    }
                    double diff = maxDiff(logits, (b * (end - start) + t - start) * vocab, expected,
                            (b * seq + t) * vocab, vocab);
                    assertTrue(diff <= TOLERANCE, name + " row " + b + " position " + t + ": max |diff| " + diff);
                }
            }
            start = end;
        }
    }

    @Test
    void leftPaddingGivesEachRealTokenItsPositionAlone() {
        ModelInput in = ModelInput.leftPadded(new int[][] {{5, 6, 7}, {8}}, 0);
        assertEquals(3, in.seq());
        assertArrayEquals(new int[] {5, 6, 7, 0, 0, 8}, in.inputIds());
        assertArrayEquals(new int[] {1, 1, 1, 0, 0, 1}, in.attentionMask());
        assertArrayEquals(new int[] {0, 1, 2, 1, 1, 0}, in.positionIds());
        assertThrows(IllegalArgumentException.class, () -> ModelInput.leftPadded(new int[][] {{1}, {}}, 0));
    }

    @Test
    void aFullCacheOrAnotherBatchSizeIsRejected() {
        CausalLM model = HfModels.load(Fixture.load("llama-tiny").dir());
        KvCache cache = new KvCache(model.config(), 1, 4);
        model.hiddenStates(ModelInput.of(new int[][] {{1, 2, 3}}, null), cache);
        IllegalArgumentException full = assertThrows(IllegalArgumentException.class,
                () -> model.hiddenStates(ModelInput.of(new int[][] {{4, 5}}, null), cache));
        assertTrue(full.getMessage().contains("holds 3 of 4 positions"), full.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> model.hiddenStates(ModelInput.of(new int[][] {{4}, {5}}, null), cache));
        assertEquals(3, cache.length());
    }

    /** Columns [from, to) of every row of {@code in}. */
    static ModelInput columns(ModelInput in, int from, int to) {
        int width = to - from;
        int[] ids = new int[in.batch() * width];
        int[] mask = new int[ids.length];
        int[] positions = new int[ids.length];
        for (int b = 0; b < in.batch(); b++) {
            System.arraycopy(in.inputIds(), b * in.seq() + from, ids, b * width, width);
            System.arraycopy(in.attentionMask(), b * in.seq() + from, mask, b * width, width);
            System.arraycopy(in.positionIds(), b * in.seq() + from, positions, b * width, width);
        }
        return new ModelInput(in.batch(), width, ids, mask, positions);
    }

    private static double maxDiff(Tensor a, int aOff, Tensor b, int bOff, int n) {
        double max = 0;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, Math.abs(a.get(aOff + i) - b.get(bOff + i)));
        }
        return max;
    }
}
