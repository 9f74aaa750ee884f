package org.align4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.align4j.align.sft.LanguageModelLoss;
import org.align4j.autograd.GradientChecker;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.Fixture;
import org.align4j.model.HfModels;
import org.align4j.model.KvCache;
import org.align4j.model.LinearModule;
import org.align4j.model.ModelInput;
import org.align4j.model.Models;
import org.align4j.tensor.Tensor;
import org.align4j.train.AdamW;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** LoRA's forward, gradients, adapter switch and merge on the fixture models. */
class LoraModelTest {
    /** The golden LM batch of a fixture (two rows, the second padded). */
    private static ModelInput batch(String name) {
        return Fixture.load(name).lmBatch();
    }

    private static CausalLM base(String name) {
        return HfModels.load(Fixture.load(name).dir());
    }

    private static Tensor logits(CausalLM model, ModelInput in) {
        return Ops.logits(model.hiddenStates(Tape.inference(), in), model.lmHead());
    }

    /** Replaces every A and B with N(0, std²) values, so that the adapters change the output. */
    static void randomize(LoraModel lora, double std, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        for (Var v : lora.parameters().values()) {
            float[] d = v.value().data();
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (Models.gaussian(rng) * std);
            }
        }
    }

    private static double maxDiff(Tensor a, Tensor b) {
        assertEquals(a.size(), b.size());
        double max = 0;
        for (int i = 0; i < a.size(); i++) {
            max = Math.max(max, Math.abs(a.get(i) - b.get(i)));
        }
        return max;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny", "qwen2-tiny", "qwen3-tiny"})
    void newAdaptersLeaveTheLogitsExactlyUnchanged(String name) {
        CausalLM base = base(name);
        ModelInput in = batch(name);
        Tensor expected = logits(base, in);
        LoraModel lora = LoraModel.create(base, LoraConfig.of(4, 8, new TargetModules.AllLinear()), 1);
        assertArrayEquals(expected.data(), logits(lora, in).data());
        Tensor training = Ops.logits(lora.hiddenStates(Tape.recording(), in), lora.lmHead());
        assertArrayEquals(expected.data(), training.data());
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny", "qwen2-tiny", "qwen3-tiny"})
    void adaptedLogitsEqualTheMergedModels(String name) {
        CausalLM base = base(name);
        ModelInput in = batch(name);
        Tensor baseLogits = logits(base, in);
        LoraModel lora = LoraModel.create(base, new LoraConfig(4, 8, 0, new TargetModules.AllLinear(),
                name.startsWith("qwen"), null), 2);
        randomize(lora, 0.1, 3);
        Tensor adapted = logits(lora, in);
        Tensor merged = logits(lora.merged(), in);
        assertTrue(maxDiff(adapted, baseLogits) > 0.1, "the adapters change the logits");
        double diff = maxDiff(adapted, merged);
        // float32: x·W + s·(x·Aᵀ)·Bᵀ and x·(W + s·B·A)ᵀ round differently; logits are O(1), so a few 1e-6
        assertTrue(diff <= 3e-5, name + ": max |adapted - merged| " + diff);
        assertArrayEquals(baseLogits.data(), logits(base, in).data(), "merging leaves the base unchanged");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "qwen3-tiny"})
    void adapterOffIsTheBaseModel(String name) {
        CausalLM base = base(name);
        ModelInput in = batch(name);
        Tensor baseLogits = logits(base, in);
        LoraModel lora = LoraModel.create(base, LoraConfig.of(4, 16, new TargetModules.AllLinear()), 4);
        randomize(lora, 0.1, 5);
        Tensor adapted = logits(lora, in);
        try (LoraModel.AdapterDisabled off = lora.disableAdapter()) {
            assertFalse(lora.adaptersEnabled());
            assertArrayEquals(baseLogits.data(), logits(lora, in).data());
            try (LoraModel.AdapterDisabled nested = lora.disableAdapter()) {
                assertArrayEquals(baseLogits.data(), logits(lora, in).data());
            }
            assertFalse(lora.adaptersEnabled(), "closing the nested handle keeps the outer one's state");
            Tape tape = Tape.recording();
            assertFalse(lora.hiddenStates(tape, in).requiresGrad(), "the reference forward records nothing");
        }
        assertTrue(lora.adaptersEnabled());
        assertArrayEquals(adapted.data(), logits(lora, in).data());
    }

    @Test
    void targetModulesChooseAsPeftDoes() {
        CausalLM llama = base("llama-tiny");
        List<String> names = LoraModel.create(llama, LoraConfig.of(2, 2, TargetModules.names("q_proj", "mlp.up_proj",
                "layers.1.self_attn.o_proj")), 0).adaptedModules().stream().map(LinearModule::name).toList();
        assertEquals(List.of("model.layers.0.self_attn.q_proj", "model.layers.0.mlp.up_proj",
                "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.o_proj", "model.layers.1.mlp.up_proj"),
                names);
        List<String> regex = LoraModel.create(llama, LoraConfig.of(2, 2, new TargetModules.Regex(
                ".*\\.0\\.self_attn\\.(k|v)_proj")), 0).adaptedModules().stream().map(LinearModule::name).toList();
        assertEquals(List.of("model.layers.0.self_attn.k_proj", "model.layers.0.self_attn.v_proj"), regex);
        LoraModel defaults = LoraModel.create(llama, LoraConfig.of(2, 2, null), 0);
        assertEquals(TargetModules.names("q_proj", "v_proj"), defaults.loraConfig().targetModules());
        assertEquals(4, defaults.adaptedModules().size());
        LoraModel gpt2 = LoraModel.create(base("gpt2-tiny"), LoraConfig.of(2, 2, new TargetModules.AllLinear()), 0);
        assertEquals(8, gpt2.adaptedModules().size());
        assertEquals(TargetModules.names("c_attn", "c_fc", "c_proj"), gpt2.loraConfig().targetModules(),
                "all-linear is saved as the names it chose");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LoraModel.create(llama, LoraConfig.of(2, 2, TargetModules.names("q_proj", "proj")), 0));
        assertEquals("target_modules: 'proj' matches no linear module of the model (its linear modules: q_proj,"
                + " k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> LoraModel.create(llama, LoraConfig.of(2, 2, TargetModules.names("lm_head")), 0));
        assertTrue(e.getMessage().startsWith("target_modules: 'lm_head' matches no linear module"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> LoraModel.create(gpt2, LoraConfig.of(2, 2, null), 0));
        assertEquals("the model already has LoRA adapters; merge them first", e.getMessage());
    }

    @Test
    void initialisationIsPeftsDefaultAndSeeded() {
        CausalLM base = base("gpt2-tiny");
        LoraConfig config = LoraConfig.of(8, 16, TargetModules.names("c_attn", "mlp.c_proj"));
        LoraModel lora = LoraModel.create(base, config, 7);
        Map<String, Var> params = lora.parameters();
        assertEquals(List.of("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight",
                "base_model.model.transformer.h.0.attn.c_attn.lora_B.weight",
                "base_model.model.transformer.h.0.mlp.c_proj.lora_A.weight",
                "base_model.model.transformer.h.0.mlp.c_proj.lora_B.weight"), new ArrayList<>(params.keySet()).subList(0, 4));
        Tensor a = params.get("base_model.model.transformer.h.0.mlp.c_proj.lora_A.weight").value();
        assertArrayEquals(new int[] {8, 256}, a.shape());
        double bound = 1 / Math.sqrt(256);
        double sumSquares = 0;
        for (float v : a.data()) {
            assertTrue(Math.abs(v) <= bound);
            sumSquares += v * v;
        }
        assertEquals(bound * bound / 3, sumSquares / a.size(), 0.1 * bound * bound / 3, "variance of U(-b, b)");
        Tensor b = params.get("base_model.model.transformer.h.0.attn.c_attn.lora_B.weight").value();
        assertArrayEquals(new int[] {192, 8}, b.shape());
        assertArrayEquals(new float[192 * 8], b.data());
        assertArrayEquals(a.data(), LoraModel.create(base, config, 7).parameters()
                .get("base_model.model.transformer.h.0.mlp.c_proj.lora_A.weight").value().data(), "seeded");
        assertNotEquals(a.get(0), LoraModel.create(base, config, 8).parameters()
                .get("base_model.model.transformer.h.0.mlp.c_proj.lora_A.weight").value().get(0));
        assertEquals(2.0, config.scaling());
        assertEquals(16 / Math.sqrt(8), new LoraConfig(8, 16, 0, null, true, null).scaling(), 1e-12);
        for (Var v : params.values()) {
            assertTrue(v.requiresGrad());
        }
        assertFalse(lora.lmHead().requiresGrad(), "the base, lm_head included, is frozen");
    }

    /** Gradients of A and B (and of the base, none) against finite differences of the model's token log-probs. */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void adapterGradientsMatchFiniteDifferences(String name) {
        CausalLM base = base(name);
        ModelInput in = batch(name);
        int[] targets = in.nextTokenTargets();
        LoraModel lora = LoraModel.create(base, new LoraConfig(3, 6, 0.2, new TargetModules.AllLinear(), false,
                null), 9);
        randomize(lora, 0.2, 10);
        List<String> checked = List.of(lora.parameters().keySet().stream().filter(n -> n.contains(".0.")).findFirst()
                .orElseThrow(), lora.parameters().keySet().stream().filter(n -> n.contains(".1.")
                && n.endsWith("lora_B.weight")).reduce((first, last) -> last).orElseThrow());
        List<Var> vars = checked.stream().map(lora.parameters()::get).toList();
        GradientChecker.Function forward = inputs -> {
            set(vars, inputs);
            lora.restoreDropoutMasksDrawn(0);
            return Ops.tokenLogProbs(Tape.recording(), lora.hiddenStates(Tape.recording(), in), lora.lmHead(),
                    targets).value().data().clone();
        };
        GradientChecker.Gradients backward = (inputs, dout) -> {
            set(vars, inputs);
            lora.restoreDropoutMasksDrawn(0);
            lora.parameters().values().forEach(Var::releaseGrad);
            Tape tape = Tape.recording();
            Var logp = Ops.tokenLogProbs(tape, lora.hiddenStates(tape, in), lora.lmHead(), targets);
            tape.backward(Ops.weightedSum(tape, logp, dout));
            assertFalse(lora.lmHead().hasGrad(), "no gradient for the frozen base");
            return vars.stream().map(v -> v.grad().data().clone()).toList();
        };
        new GradientChecker().withMaxCoordinates(48).withTolerance(2e-2).check(name + " " + checked, forward, backward,
                vars.stream().map(v -> v.value().data().clone()).toList());
    }

    private static void set(List<Var> vars, List<float[]> values) {
        for (int i = 0; i < vars.size(); i++) {
            System.arraycopy(values.get(i), 0, vars.get(i).value().data(), 0, values.get(i).length);
        }
    }

    @Test
    void dropoutAppliesWhenTrainingOnlyAndReplaysFromItsState() {
        String name = "qwen2-tiny";
        ModelInput in = batch(name);
        LoraModel noDropout = LoraModel.create(base(name), LoraConfig.of(4, 8, TargetModules.names("v_proj")), 11);
        LoraModel dropout = LoraModel.create(base(name), new LoraConfig(4, 8, 0.5, TargetModules.names("v_proj"),
                false, null), 11);
        randomize(noDropout, 0.2, 12);
        randomize(dropout, 0.2, 12);
        Tensor inference = logits(noDropout, in);
        assertArrayEquals(inference.data(), logits(dropout, in).data(), "no dropout on an inference tape");
        assertEquals(0, dropout.dropoutMasksDrawn());
        Tensor first = Ops.logits(dropout.hiddenStates(Tape.recording(), in), dropout.lmHead());
        assertEquals(2, dropout.dropoutMasksDrawn(), "one mask per adapted module");
        Tensor second = Ops.logits(dropout.hiddenStates(Tape.recording(), in), dropout.lmHead());
        assertTrue(maxDiff(first, inference) > 1e-3);
        assertTrue(maxDiff(first, second) > 1e-3, "a new mask each forward");
        dropout.restoreDropoutMasksDrawn(2);
        assertArrayEquals(second.data(), Ops.logits(dropout.hiddenStates(Tape.recording(), in),
                dropout.lmHead()).data(), "restoring the state replays the masks");
    }

    /**
     * With dropout, gradient checkpointing recomputes each block with the masks its forward drew (and draws no new
     * ones), so the loss and the adapters' gradients are bit for bit those of a pass without it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void gradientCheckpointingReplaysTheDropoutMasksAndKeepsTheGradientsBitForBit(String name) {
        LoraModel lora = LoraModel.create(base(name), new LoraConfig(3, 6, 0.3, new TargetModules.AllLinear(), false,
                null), 16);
        randomize(lora, 0.2, 17);
        ModelInput in = batch(name);
        List<float[]> gradients = new ArrayList<>();
        float[] losses = new float[2];
        long[] masks = new long[2];
        for (int run = 0; run < 2; run++) {
            lora.restoreDropoutMasksDrawn(0);
            lora.parameters().values().forEach(Var::releaseGrad);
            Tape tape = Tape.recording(run == 1);
            Var loss = LanguageModelLoss.nextToken(tape, lora, in);
            tape.backward(loss);
            losses[run] = loss.value().get(0);
            masks[run] = lora.dropoutMasksDrawn();
            lora.parameters().values().forEach(v -> gradients.add(v.grad().data().clone()));
        }
        assertEquals(losses[0], losses[1]);
        assertEquals(masks[0], masks[1], "the recomputation draws no masks of its own");
        int count = lora.parameters().size();
        for (int i = 0; i < count; i++) {
            assertArrayEquals(gradients.get(i), gradients.get(count + i), "gradient " + i);
        }
    }

    @Test
    void adamWTrainsTheAdaptersOnly() {
        CausalLM base = base("llama-tiny");
        Map<String, float[]> before = new java.util.HashMap<>();
        base.parameters().forEach((n, v) -> before.put(n, v.value().data().clone()));
        LoraModel lora = LoraModel.create(base, LoraConfig.of(4, 8, new TargetModules.AllLinear()), 13);
        ModelInput in = batch("llama-tiny");
        AdamW adamw = new AdamW(0.9, 0.999, 1e-8, 0.0);
        List<Double> losses = new ArrayList<>();
        for (int step = 0; step < 8; step++) {
            Tape tape = Tape.recording();
            Var loss = LanguageModelLoss.nextToken(tape, lora, in);
            losses.add((double) loss.value().get(0));
            tape.backward(loss);
            adamw.step(lora.parameters(), 1e-2);
            lora.parameters().values().forEach(Var::zeroGrad);
        }
        assertTrue(losses.getLast() < losses.getFirst() - 0.05, "loss decreases: " + losses);
        base.parameters().forEach((n, v) -> assertArrayEquals(before.get(n), v.value().data(), n + " unchanged"));
        assertFalse(lora.lmHead().hasGrad());
        assertTrue(adamw.moments("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight") != null);
    }

    /** Prefill then one token at a time through a KV cache, with adapters: the full adapted forward's logits. */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "qwen3-tiny"})
    void kvCachedStepsEqualTheFullAdaptedForward(String name) {
        LoraModel lora = LoraModel.create(base(name), LoraConfig.of(4, 8, new TargetModules.AllLinear()), 14);
        randomize(lora, 0.1, 15);
        int[] row = Fixture.intRows(Fixture.load(name).golden().get("input_ids"))[0];
        ModelInput full = ModelInput.of(new int[][] {row}, null);
        Tensor expected = logits(lora, full);
        int vocab = lora.config().vocabSize();
        KvCache cache = new KvCache(lora.config(), 1, row.length);
        int prefill = 4;
        for (int end = prefill; end <= row.length; end++) {
            int start = end == prefill ? 0 : end - 1;
            int[] ids = java.util.Arrays.copyOfRange(row, start, end);
            int[] positions = java.util.stream.IntStream.range(start, end).toArray();
            int[] mask = new int[ids.length];
            java.util.Arrays.fill(mask, 1);
            ModelInput step = new ModelInput(1, ids.length, ids, mask, positions);
            Tensor next = lora.nextTokenLogits(step, cache);
            double diff = 0;
            for (int v = 0; v < vocab; v++) {
                diff = Math.max(diff, Math.abs(next.get(v) - expected.get((end - 1) * vocab + v)));
            }
            assertTrue(diff <= 1e-5, name + " after " + end + " tokens: max |diff| " + diff);
        }
    }
}
