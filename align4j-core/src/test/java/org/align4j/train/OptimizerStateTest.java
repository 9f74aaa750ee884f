package org.align4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.align4j.autograd.Var;
import org.align4j.model.io.CheckpointException;
import org.align4j.model.io.SafeTensors;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saving and restoring optimizer state (optimizer.safetensors). */
class OptimizerStateTest {
    @TempDir
    Path dir;

    private static Map<String, Var> parameters() {
        Map<String, Var> p = new LinkedHashMap<>();
        p.put("layer.weight", new Var(Tensor.of(new float[] {0.5f, -1f, 2f, 0.25f}, 2, 2), true));
        p.put("layer.bias", new Var(Tensor.of(new float[] {0.1f, -0.2f}, 2), true));
        return p;
    }

    private static Map<String, Var> copy(Map<String, Var> parameters) {
        Map<String, Var> c = new LinkedHashMap<>();
        parameters.forEach((k, v) -> c.put(k, new Var(v.value().copy(), true)));
        return c;
    }

    /** Sets a gradient that depends on the step and the value, then steps. */
    private static void step(Optimizer optimizer, Map<String, Var> parameters, int t) {
        for (Var v : parameters.values()) {
            float[] g = v.grad().data();
            float[] x = v.value().data();
            for (int i = 0; i < g.length; i++) {
                g[i] = x[i] * 0.3f + (float) Math.sin(t + i);
            }
        }
        optimizer.step(parameters, 1e-2);
        parameters.values().forEach(Var::zeroGrad);
    }

    @Test
    void adamWStateRoundTripContinuesExactly() {
        Map<String, Var> a = parameters();
        AdamW original = new AdamW(0.9, 0.99, 1e-8, 0.1, name -> name.endsWith("weight"));
        for (int t = 0; t < 3; t++) {
            step(original, a, t);
        }
        Path file = dir.resolve("optimizer.safetensors");
        original.save(file);
        try (SafeTensors st = SafeTensors.open(file)) {
            assertEquals(Set.of("layer.weight.exp_avg", "layer.weight.exp_avg_sq", "layer.bias.exp_avg",
                    "layer.bias.exp_avg_sq"), st.names());
            assertEquals("3", st.metadata().get("step"));
            assertEquals("adamw_torch", st.metadata().get("optimizer"));
        }
        Map<String, Var> b = copy(a);
        AdamW restored = new AdamW(0.9, 0.99, 1e-8, 0.1, name -> name.endsWith("weight"));
        restored.load(file, b);
        assertEquals(3, restored.steps());
        assertArrayEquals(original.moments("layer.weight")[1].data(), restored.moments("layer.weight")[1].data());
        for (int t = 3; t < 6; t++) {
            step(original, a, t);
            step(restored, b, t);
        }
        for (String name : a.keySet()) {
            assertArrayEquals(a.get(name).value().data(), b.get(name).value().data(), name);
        }
    }

    @Test
    void loadRejectsAnotherOptimizerAndForeignTensors() {
        Map<String, Var> p = parameters();
        Sgd sgd = new Sgd(0.9, 0);
        step(sgd, p, 0);
        Path file = dir.resolve("optimizer.safetensors");
        sgd.save(file);
        CheckpointException wrongKind = assertThrows(CheckpointException.class,
                () -> new AdamW(0.9, 0.999, 1e-8, 0).load(file, p));
        assertEquals(file + ": holds the state of optimizer 'sgd', this run uses 'adamw_torch'",
                wrongKind.getMessage());
        Map<String, Var> other = new LinkedHashMap<>();
        other.put("layer.weight", p.get("layer.weight"));
        CheckpointException foreign = assertThrows(CheckpointException.class, () -> new Sgd(0.9, 0).load(file, other));
        assertEquals(file + ": state tensor 'layer.bias.momentum_buffer' belongs to no parameter",
                foreign.getMessage());
    }
}
