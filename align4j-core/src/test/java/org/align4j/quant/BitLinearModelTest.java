package org.align4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.align4j.align.sft.LanguageModelLoss;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.Fixture;
import org.align4j.model.HfModels;
import org.align4j.model.KvCache;
import org.align4j.model.ModelInput;
import org.align4j.tensor.Tensor;
import org.align4j.train.AdamW;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** BitLinear quantisation-aware training: the straight-through gradients and training on the fixture models. */
class BitLinearModelTest {
    private static Tensor random(SplittableRandom random, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.size(); i++) {
            t.data()[i] = (float) random.nextGaussian();
        }
        return t;
    }

    /**
     * The straight-through gradient of the latent weight and input is the float gradient of the quantised forward
     * with respect to the quantised weight and input (BitNet's STE), for nn.Linear and Conv1D layouts.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void straightThroughGradientsAreThoseOfTheQuantisedForward(boolean conv1d) {
        SplittableRandom random = new SplittableRandom(5);
        int rows = 3;
        int in = 7;
        int out = 4;
        Var x = new Var(random(random, rows, in), true);
        Var w = new Var(conv1d ? random(random, in, out) : random(random, out, in), true);
        Var b = new Var(random(random, out), true);
        Tensor wq = Tensor.zeros(w.value().shape());
        WeightQuantization.TERNARY.fakeQuantize(w.value().data(), w.value().size(), wq.data());
        Tensor xq = Tensor.zeros(rows, in);
        QuantizedActivations.quantize(x.value().data(), rows, in).dequantize(xq.data());
        float[] g = random(random, rows * out).data();

        Tape tape = Tape.recording();
        Var y = Ops.straightThroughLinear(tape, x, xq, w, wq, b, conv1d);
        tape.backward(Ops.weightedSum(tape, y, g));

        Var xFloat = new Var(xq.copy(), true);
        Var wFloat = new Var(wq.copy(), true);
        Var bFloat = new Var(b.value().copy(), true);
        Tape reference = Tape.recording();
        Var yFloat = conv1d ? Ops.conv1d(reference, xFloat, wFloat, bFloat)
                : Ops.linear(reference, xFloat, wFloat, bFloat);
        reference.backward(Ops.weightedSum(reference, yFloat, g));

        assertArrayEquals(yFloat.value().data(), y.value().data(), 1e-6f);
        assertArrayEquals(wFloat.grad().data(), w.grad().data(), 1e-6f);
        assertArrayEquals(xFloat.grad().data(), x.grad().data(), 1e-6f);
        assertArrayEquals(bFloat.grad().data(), b.grad().data(), 1e-6f);
        // by hand for nn.Linear: dW[o, i] = Σ_r g[r, o] x̂[r, i]
        if (!conv1d) {
            double expected = 0;
            for (int r = 0; r < rows; r++) {
                expected += g[r * out + 1] * xq.data()[r * in + 2];
            }
            assertEquals(expected, w.grad().data()[in + 2], 1e-5);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void forwardUsesTheQuantisedWeightsAndActivations(String name) {
        CausalLM latent = HfModels.load(Fixture.load(name).dir());
        BitLinearModel bit = BitLinearModel.create(latent, WeightQuantization.TERNARY);
        ModelInput in = Fixture.load(name).lmBatch();
        Tensor quantised = Ops.logits(bit.hiddenStates(Tape.inference(), in), bit.lmHead());
        Tensor full = Ops.logits(latent.hiddenStates(Tape.inference(), in), latent.lmHead());
        double maxDiff = 0;
        for (int i = 0; i < full.size(); i++) {
            maxDiff = Math.max(maxDiff, Math.abs(full.data()[i] - quantised.data()[i]));
        }
        assertTrue(maxDiff > 1e-4, "quantisation changes the logits");
        assertEquals(bit.parameters(), latent.parameters());
        assertEquals(org.align4j.model.Models.linearModules(latent.config()), bit.quantizedModules());
    }

    /** Prefill through a KV cache gives the logits of the full quantised forward. */
    @Test
    void kvCachedForwardQuantisesToo() {
        Fixture fixture = Fixture.load("llama-tiny");
        BitLinearModel bit = BitLinearModel.create(HfModels.load(fixture.dir()), WeightQuantization.BINARY);
        ModelInput in = fixture.lmBatch();
        int[] row = java.util.Arrays.copyOfRange(in.inputIds(), 0, in.seq());
        ModelInput first = ModelInput.of(new int[][] {row}, new int[][] {filled(row.length)});
        Tensor full = Ops.logits(bit.hiddenStates(Tape.inference(), first), bit.lmHead());
        Tensor cached = bit.nextTokenLogits(first, new KvCache(bit.config(), 1, row.length));
        int vocab = bit.config().vocabSize();
        float[] last = java.util.Arrays.copyOfRange(full.data(), full.size() - vocab, full.size());
        assertArrayEquals(last, java.util.Arrays.copyOfRange(cached.data(), cached.size() - vocab, cached.size()),
                1e-4f);
    }

    private static int[] filled(int n) {
        int[] ones = new int[n];
        java.util.Arrays.fill(ones, 1);
        return ones;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void trainingTheLatentWeightsLowersTheQuantisedLoss(String name) {
        for (WeightQuantization quantization : WeightQuantization.values()) {
            BitLinearModel bit = BitLinearModel.create(HfModels.load(Fixture.load(name).dir()), quantization);
            ModelInput in = Fixture.load(name).lmBatch();
            AdamW adamw = new AdamW(0.9, 0.999, 1e-8, 0.0);
            List<Double> losses = new ArrayList<>();
            for (int step = 0; step < 8; step++) {
                Tape tape = Tape.recording();
                Var loss = LanguageModelLoss.nextToken(tape, bit, in);
                losses.add((double) loss.value().get(0));
                tape.backward(loss);
                adamw.step(bit.parameters(), 1e-2);
                bit.parameters().values().forEach(Var::zeroGrad);
            }
            assertTrue(losses.getLast() < losses.getFirst() - 0.05, quantization + " loss decreases: " + losses);
        }
    }
}
