package org.align4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.align.sft.LanguageModelLoss;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Gradient checkpointing through the models' blocks ({@link org.align4j.autograd.Checkpoint}): the loss and every
 * parameter gradient are bit for bit those of a pass without it (the recomputation repeats the same float operations
 * in the same order, so equality is exact, not to a tolerance), and the backward pass starts with far fewer
 * activations alive.
 */
class GradientCheckpointingTest {

    /** The loss value and every parameter's gradient after one forward and backward pass. */
    private record Pass(float loss, Map<String, float[]> gradients) {
    }

    private static Pass pass(CausalLM model, ModelInput in, boolean checkpointing) {
        model.parameters().values().forEach(Var::releaseGrad);
        Tape tape = Tape.recording(checkpointing);
        Var loss = LanguageModelLoss.nextToken(tape, model, in);
        tape.backward(loss);
        Map<String, float[]> gradients = new LinkedHashMap<>();
        model.parameters().forEach((name, v) -> gradients.put(name, v.grad().data().clone()));
        return new Pass(loss.value().get(0), gradients);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny", "llama3rope-tiny", "qwen2-tiny", "qwen3-tiny"})
    void lossAndGradientsAreBitForBitThoseWithoutCheckpointing(String name) {
        Fixture fixture = Fixture.load(name);
        CausalLM model = HfModels.load(fixture.dir());
        ModelInput in = fixture.lmBatch();
        Pass plain = pass(model, in, false);
        Pass checkpointed = pass(model, in, true);
        assertEquals(plain.loss(), checkpointed.loss());
        assertEquals(plain.gradients().keySet(), checkpointed.gradients().keySet());
        plain.gradients().forEach((param, g) -> {
            assertTrue(maxAbs(g) > 0, param + " has a gradient");
            assertArrayEquals(g, checkpointed.gradients().get(param), param);
        });
    }

    private static float maxAbs(float[] values) {
        float max = 0;
        for (float v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    /** A random model of {@code modelType} with {@code layers} blocks. */
    private static CausalLM random(String modelType, int layers) {
        ObjectNode json = new ObjectMapper().createObjectNode().put("model_type", modelType).put("vocab_size", 50);
        if (modelType.equals("gpt2")) {
            json.put("n_embd", 32).put("n_head", 2).put("n_layer", layers).put("n_positions", 64);
        } else {
            json.put("hidden_size", 32).put("intermediate_size", 64).put("num_hidden_layers", layers)
                    .put("num_attention_heads", 4).put("num_key_value_heads", 2).put("max_position_embeddings", 64);
        }
        return Models.randomInit(ModelConfig.fromJson(json, modelType + " random"), 21);
    }

    /**
     * Counts the floats of the linear modules' inputs and outputs that are still reachable when the backward pass
     * starts: the hook holds them weakly, so after a full collection only those the tape keeps remain.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void theBackwardStartsWithOnlyTheBlockInputsAlive(String modelType) {
        CausalLM base = random(modelType, 4);
        List<WeakReference<Tensor>> activations = new ArrayList<>();
        boolean[] tracking = {false};
        CausalLM model = Models.withAdapter(base.config(), base.parameters(), (tape, module, input, output) -> {
            if (tracking[0]) {
                activations.add(new WeakReference<>(input.value()));
                activations.add(new WeakReference<>(output.value()));
            }
            return output;
        });
        ModelInput in = ModelInput.of(new int[][] {{1, 5, 9, 13, 17, 21, 25, 29}, {2, 4, 6, 8, 10, 12, 14, 16}}, null);
        long[] alive = new long[2];
        for (int run = 0; run < 2; run++) {
            activations.clear();
            tracking[0] = true;
            Tape tape = Tape.recording(run == 1);
            Var loss = LanguageModelLoss.nextToken(tape, model, in);
            tracking[0] = false;
            collectGarbage();
            for (WeakReference<Tensor> ref : activations) {
                Tensor t = ref.get();
                alive[run] += t == null ? 0 : t.size();
            }
            tape.backward(loss);
        }
        int modules = Models.linearModules(base.config()).size();
        assertTrue(alive[0] > 0 && activations.size() == 2 * modules, "without checkpointing the tape keeps them");
        assertEquals(0, alive[1], "with checkpointing no block activation outlives its block's forward, "
                + alive[0] + " floats without");
    }

    /** Full collections until a fresh weakly held object is cleared. */
    private static void collectGarbage() {
        WeakReference<Object> canary = new WeakReference<>(new Object());
        for (int i = 0; i < 20 && canary.get() != null; i++) {
            System.gc();
        }
        System.gc();
    }
}
