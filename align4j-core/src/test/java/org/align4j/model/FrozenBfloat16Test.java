package org.align4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.align.sft.LanguageModelLoss;
import org.align4j.align.dpo.ModelReference;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.io.Dtype;
import org.align4j.model.io.HfCheckpoint;
import org.align4j.nn.LoraConfig;
import org.align4j.nn.LoraModel;
import org.align4j.tensor.BFloat16;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Frozen weights stored in bfloat16 ({@link Models#frozenCopy}, {@link HfModels#loadFrozen}): exactly the float32
 * model on the rounded weights, forward, backward and KV-cached, and within the measured bfloat16 error of the
 * transformers goldens.
 */
class FrozenBfloat16Test {
    static final List<String> MODELS = Fixture.NAMES;

    /*
     * The bfloat16 error of the five fixtures against transformers' float32 goldens, measured (the float32 model is
     * within 1e-4 of them), each bound about twice the largest: max |logit − golden| 0.015 (gpt2-tiny) to 0.032
     * (llama-tiny), logits up to 3.9 in size; ‖logits − golden‖ / ‖golden‖ 0.0044 to 0.0072; |loss − golden|
     * 1.0e-4 to 1.4e-3.
     */
    private static final double LOGIT_TOLERANCE = 0.065;
    private static final double LOGIT_RELATIVE_TOLERANCE = 0.015;
    private static final double LOSS_TOLERANCE = 3e-3;

    /** The float32 model whose weight matrices are {@code model}'s rounded to bfloat16 and widened back. */
    private static CausalLM roundedFloat32(CausalLM model) {
        Map<String, Tensor> rounded = new LinkedHashMap<>();
        model.parameters().forEach((name, v) -> rounded.put(name,
                Models.isWeightMatrix(v.value().shape()) ? v.value().toBfloat16().toFloat32() : v.value().copy()));
        return Models.frozenWithAdapter(Models.create(model.config(), rounded::get, "rounded"), LinearAdapter.NONE);
    }

    private static Tensor logits(CausalLM model, ModelInput in) {
        return Ops.logits(model.hiddenStates(Tape.inference(), in), model.lmHead());
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void forwardEqualsFloat32OnTheRoundedWeightsAndStaysNearTheGoldens(String name) {
        Fixture f = Fixture.load(name);
        CausalLM model = HfModels.load(f.dir());
        CausalLM bf16 = Models.frozenCopy(model, Dtype.BF16);
        for (Map.Entry<String, Var> e : bf16.parameters().entrySet()) {
            assertEquals(Models.isWeightMatrix(e.getValue().value().shape()), e.getValue().value().isBfloat16(),
                    e.getKey());
            assertFalse(e.getValue().requiresGrad(), e.getKey());
        }
        ModelInput in = f.lmBatch();
        Tensor actual = logits(bf16, in);
        assertArrayEquals(logits(roundedFloat32(model), in).data(), actual.data(), 0f, name);
        assertArrayEquals(actual.data(), logits(HfModels.loadFrozen(f.dir(), Dtype.BF16, null), in).data(), 0f,
                name + " loaded frozen as bfloat16");

        Tensor golden = f.goldenTensor("logits");
        int vocab = model.config().vocabSize();
        double maxDiff = 0;
        for (int r = 0; r < in.batch() * in.seq(); r++) {
            if (in.attentionMask()[r] != 0) {
                for (int v = 0; v < vocab; v++) {
                    maxDiff = Math.max(maxDiff, Math.abs(actual.get(r * vocab + v) - golden.get(r * vocab + v)));
                }
            }
        }
        double loss = LanguageModelLoss.nextToken(Tape.inference(), bf16, in).value().get(0);
        assertTrue(maxDiff <= LOGIT_TOLERANCE, name + ": max |logits diff| " + maxDiff);
        double relative = actual.relativeError(golden);
        assertTrue(relative <= LOGIT_RELATIVE_TOLERANCE, name + ": logits relative error " + relative);
        assertEquals(f.golden().get("lm_loss").asDouble(), loss, LOSS_TOLERANCE, name + " lm_loss");
    }

    /** LoRA on a bfloat16 base: the adapters' gradients flow back through the widened weights, bit for bit. */
    @ParameterizedTest
    @FieldSource("MODELS")
    void loraGradientsThroughABfloat16BaseEqualFloat32OnTheRoundedWeights(String name) {
        Fixture f = Fixture.load(name);
        CausalLM model = HfModels.load(f.dir());
        LoraConfig config = new LoraConfig(4, 8, 0, null, false, name);
        LoraModel onBf16 = LoraModel.create(Models.frozenCopy(model, Dtype.BF16), config, 5);
        LoraModel onRounded = LoraModel.create(roundedFloat32(model), config, 5);
        for (LoraModel lora : List.of(onBf16, onRounded)) {
            // non-zero B, so that the gradient of A is not zero
            lora.parameters().forEach((n, v) -> {
                if (n.endsWith("lora_B.weight")) {
                    float[] d = v.value().data();
                    for (int i = 0; i < d.length; i++) {
                        d[i] = 0.01f * ((i % 7) - 3);
                    }
                }
            });
            Tape tape = Tape.recording();
            tape.backward(LanguageModelLoss.nextToken(tape, lora, f.lmBatch()));
        }
        for (String p : onBf16.parameters().keySet()) {
            assertArrayEquals(onRounded.parameters().get(p).grad().data(), onBf16.parameters().get(p).grad().data(), 0f,
                    name + " " + p);
        }
    }

    @Test
    void kvCachedGreedyDecodingEqualsFloat32OnTheRoundedWeights() {
        CausalLM model = HfModels.load(Fixture.load("llama-tiny").dir());
        GenerationConfig config = GenerationConfig.greedy(6);
        int[][] prompts = {{1, 5, 9, 2}, {3, 4}};
        Generation expected = new Generator(roundedFloat32(model)).generate(prompts, config);
        Generation actual = new Generator(Models.frozenCopy(model, Dtype.BF16)).generate(prompts, config);
        for (int b = 0; b < prompts.length; b++) {
            assertArrayEquals(expected.tokens()[b], actual.tokens()[b]);
            assertArrayEquals(expected.logProbs()[b], actual.logProbs()[b], 0f);
        }
    }

    @Test
    void savesAndReloadsTheBits(@TempDir Path dir) {
        CausalLM bf16 = Models.frozenCopy(HfModels.load(Fixture.load("qwen2-tiny").dir()), Dtype.BF16);
        HfModels.save(bf16, dir.resolve("bf16"), Dtype.BF16, null, Long.MAX_VALUE);
        HfModels.save(bf16, dir.resolve("f32"), Dtype.F32, null, Long.MAX_VALUE);
        CausalLM again = HfModels.loadFrozen(dir.resolve("bf16"), Dtype.BF16, null);
        CausalLM widened = HfModels.load(dir.resolve("f32"));
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir.resolve("bf16"))) {
            bf16.parameters().forEach((n, v) -> {
                assertEquals(Dtype.BF16, ckpt.info(n).dtype(), n);
                Tensor t = v.value();
                if (t.isBfloat16()) {
                    assertArrayEquals(t.bfloat16Bits(), again.parameters().get(n).value().bfloat16Bits(), n);
                }
                assertArrayEquals(t.toFloat32().data(), widened.parameters().get(n).value().data(), 0f, n);
            });
        }
        // a float32 checkpoint loads into bfloat16 weights by rounding
        CausalLM reloaded = Models.frozenCopy(widened, Dtype.F32);
        HfModels.loadWeights(again, dir.resolve("f32"));
        again.parameters().forEach((n, v) -> assertArrayEquals(reloaded.parameters().get(n).value().data(),
                v.value().toFloat32().data(), 0f, n));
    }

    @Test
    void softReferenceUpdateRoundsOnceToBfloat16() {
        CausalLM policy = HfModels.load(Fixture.load("gpt2-tiny").dir());
        ModelReference reference = ModelReference.frozenCopyOf(policy, Dtype.BF16);
        String name = "transformer.wte.weight";
        float[] before = reference.model().parameters().get(name).value().toFloat32().data();
        float[] pol = policy.parameters().get(name).value().data();
        for (int i = 0; i < pol.length; i++) {
            pol[i] += 0.5f;
        }
        reference.mixIn(policy, 0.25);
        Tensor after = reference.model().parameters().get(name).value();
        assertTrue(after.isBfloat16());
        for (int i = 0; i < pol.length; i++) {
            assertEquals(BFloat16.fromFloat(before[i] * 0.75f + pol[i] * 0.25f), after.bfloat16Bits()[i], "at " + i);
        }
    }

    @Test
    void bfloat16TensorsHaveNoFloat32Storage() {
        Tensor t = Tensor.of(new float[] {1.5f, -2.25f, 3.1f, 0f}, 2, 2).toBfloat16();
        assertTrue(t.isBfloat16());
        assertEquals(8, t.storageBytes());
        assertEquals(4, t.size());
        assertEquals(-2.25f, t.get(1));
        assertEquals(BFloat16.toFloat(BFloat16.fromFloat(3.1f)), t.get(2));
        assertThrows(IllegalStateException.class, t::data);
        assertThrows(IllegalArgumentException.class, () -> Models.checkFrozenStorage(Dtype.F16));
    }
}
