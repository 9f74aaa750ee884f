package org.align4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The linear-module hook: which modules the forward passes through it, and the frozen adapted model. */
class LinearAdapterTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "qwen3-tiny"})
    void everyLinearModuleGoesThroughTheHookInForwardOrderOnBothPaths(String name) {
        CausalLM base = HfModels.load(Fixture.load(name).dir());
        List<String> seen = new ArrayList<>();
        CausalLM hooked = Models.frozenWithAdapter(base, (tape, module, input, output) -> {
            seen.add(module);
            return output;
        });
        List<String> expected = Models.linearModules(base.config()).stream().map(LinearModule::name).toList();
        ModelInput in = ModelInput.of(new int[][] {{1, 2, 3}}, null);
        Tensor plain = Ops.logits(base.hiddenStates(Tape.inference(), in), base.lmHead());
        Tensor viaHook = Ops.logits(hooked.hiddenStates(Tape.inference(), in), hooked.lmHead());
        assertEquals(expected, seen);
        assertArrayEquals(plain.data(), viaHook.data());
        seen.clear();
        hooked.nextTokenLogits(in, new KvCache(base.config(), 1, 3));
        assertEquals(expected, seen);
    }

    @Test
    void linearModulesHaveTheShapesOfTheirWeights() {
        ModelConfig gpt2 = HfModels.readConfig(Fixture.load("gpt2-tiny").dir());
        List<LinearModule> modules = Models.linearModules(gpt2);
        assertEquals(4 * gpt2.numLayers(), modules.size());
        assertEquals(new LinearModule("transformer.h.0.attn.c_attn", 64, 192, true), modules.getFirst());
        assertEquals(new LinearModule("transformer.h.1.mlp.c_proj", 256, 64, true), modules.getLast());
        assertEquals("c_proj", modules.getLast().leafName());
        ModelConfig qwen2 = HfModels.readConfig(Fixture.load("qwen2-tiny").dir());
        List<LinearModule> linear = Models.linearModules(qwen2);
        assertEquals(7 * qwen2.numLayers(), linear.size());
        assertEquals(new LinearModule("model.layers.0.self_attn.k_proj", 64, 32, false), linear.get(1));
        assertEquals(new LinearModule("model.layers.0.mlp.down_proj", 160, 64, false), linear.get(6));
    }

    @Test
    void theFrozenModelSharesTheTensorsAndTrainsNothing() {
        CausalLM base = HfModels.load(Fixture.load("llama-tiny").dir());
        CausalLM frozen = Models.frozenWithAdapter(base, LinearAdapter.NONE);
        assertEquals(base.parameters().keySet(), frozen.parameters().keySet());
        for (String name : base.parameters().keySet()) {
            assertSame(base.parameters().get(name).value(), frozen.parameters().get(name).value());
            assertFalse(frozen.parameters().get(name).requiresGrad(), name);
        }
        Tape tape = Tape.recording();
        Var hidden = frozen.hiddenStates(tape, ModelInput.of(new int[][] {{1, 2}}, null));
        assertFalse(hidden.requiresGrad(), "nothing to differentiate");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Models.frozenWithAdapter(new Gpt2Model(base.config(), java.util.Map.of()), LinearAdapter.NONE));
        assertEquals("the model has no parameter 'model.embed_tokens.weight' of its llama architecture", e.getMessage());
    }
}
