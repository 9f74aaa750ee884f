package org.align4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.Fixture;
import org.align4j.model.HfModels;
import org.align4j.nn.LoraConfig;
import org.align4j.nn.LoraModel;
import org.align4j.nn.TargetModules;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MeZO: in-place perturbations that undo themselves, an unbiased gradient estimate, and training in the Trainer. */
class MeZoTest {
    @TempDir
    Path tmp;

    private static Map<String, Var> vector(float... values) {
        Map<String, Var> p = new LinkedHashMap<>();
        p.put("theta", new Var(Tensor.of(values.clone(), values.length), true));
        return p;
    }

    private static double quadratic(Map<String, Var> p, float[] target) {
        float[] t = p.get("theta").value().data();
        double s = 0;
        for (int i = 0; i < t.length; i++) {
            s += (t[i] - target[i]) * (t[i] - target[i]);
        }
        return s;
    }

    @Test
    void perturbationsCancelAndRepeatFromTheSeed() {
        Map<String, Var> p = vector(1f, -2f, 3f, 0.5f);
        MeZo.perturb(p, 7, 1e-3);
        float[] once = p.get("theta").value().data().clone();
        MeZo.perturb(p, 7, -2e-3);
        MeZo.perturb(p, 7, 1e-3);
        float[] back = p.get("theta").value().data();
        float[] start = {1f, -2f, 3f, 0.5f};
        for (int i = 0; i < 4; i++) {
            assertEquals(start[i], back[i], 1e-6, "restored " + i);
            assertTrue(once[i] != start[i], "moved " + i);
        }
    }

    @Test
    void projectedGradientTimesDirectionEstimatesTheGradient() {
        float[] target = {0.5f, -1f, 2f};
        int trials = 4000;
        double[] mean = new double[3];
        for (int s = 0; s < trials; s++) {
            Map<String, Var> p = vector(0f, 0f, 0f);
            MeZo mezo = new MeZo(1e-3, 1, 0, name -> false);
            Map<String, Var> probe = p;
            mezo.estimate(p, s, () -> quadratic(probe, target));
            mezo.step(p, 1.0);
            float[] moved = p.get("theta").value().data();
            for (int i = 0; i < 3; i++) {
                mean[i] += -moved[i] / trials;
            }
        }
        for (int i = 0; i < 3; i++) {
            double gradient = -2 * target[i];
            assertEquals(gradient, mean[i], 0.25, "E[g z] approximates dL/dtheta_" + i);
        }
    }

    @Test
    void foldedRestoreAndUpdateEqualAlgorithm1StepByStep() {
        float[] target = {0.5f, -1f, 2f, 0.25f, -0.75f};
        Map<String, Var> p = new LinkedHashMap<>();
        p.put("weight", new Var(Tensor.of(new float[] {1f, -2f, 3f}, 3), true));
        p.put("frozen", new Var(Tensor.of(new float[] {4f}, 1), false));
        p.put("bias", new Var(Tensor.of(new float[] {0.5f, 0.25f}, 2), true));
        Map<String, Var> reference = new LinkedHashMap<>();
        p.forEach((name, v) -> reference.put(name, new Var(Tensor.of(v.value().data().clone(), v.value().size()),
                v.requiresGrad())));
        double eps = 1e-2;
        double lr = 0.1;
        double decay = 0.3;
        MeZo mezo = new MeZo(eps, 3, decay, name -> name.equals("weight"));
        mezo.estimate(p, 11, () -> loss(p, target));
        mezo.step(p, lr);

        double[] g = new double[3];
        for (int s = 0; s < 3; s++) {
            long seed = 11 + s * 0x9E3779B97F4A7C15L;
            MeZo.perturb(reference, seed, eps);
            double plus = loss(reference, target);
            MeZo.perturb(reference, seed, -2 * eps);
            double minus = loss(reference, target);
            MeZo.perturb(reference, seed, eps);
            g[s] = (plus - minus) / (2 * eps);
        }
        float[] w = reference.get("weight").value().data();
        for (int i = 0; i < w.length; i++) {
            w[i] *= (float) (1 - lr * decay);
        }
        for (int s = 0; s < 3; s++) {
            MeZo.perturb(reference, 11 + s * 0x9E3779B97F4A7C15L, -lr * g[s] / 3);
        }
        for (String name : p.keySet()) {
            float[] expected = reference.get(name).value().data();
            float[] actual = p.get(name).value().data();
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-6, name + "[" + i + "]");
            }
        }
        assertEquals(4f, p.get("frozen").value().data()[0], "a frozen parameter never moves");
        assertTrue(Math.abs(p.get("weight").value().data()[0] - 1f) > 1e-3, "the step moved the parameters");
    }

    /** A quadratic over the weight and bias entries together. */
    private static double loss(Map<String, Var> p, float[] target) {
        float[] w = p.get("weight").value().data();
        float[] b = p.get("bias").value().data();
        double s = 0;
        for (int i = 0; i < target.length; i++) {
            double v = i < w.length ? w[i] : b[i - w.length];
            s += (v - target[i]) * (v - target[i]);
        }
        return s;
    }

    @Test
    void minimisesAQuadraticWithForwardPassesOnly() {
        float[] target = {0.5f, -1f, 2f, 0f, 1f};
        Map<String, Var> p = vector(0f, 0f, 0f, 0f, 0f);
        MeZo mezo = new MeZo(1e-3, 2, 0, name -> false);
        double start = quadratic(p, target);
        for (int step = 0; step < 300; step++) {
            mezo.estimate(p, step, () -> quadratic(p, target));
            mezo.step(p, 0.02);
        }
        assertTrue(quadratic(p, target) < 0.05 * start, "loss " + start + " -> " + quadratic(p, target));
        assertFalse(p.get("theta").hasGrad(), "no gradient is ever allocated");
        assertEquals(300, mezo.steps());
    }

    @Test
    void trainerRunsMezoWithoutGradients() throws IOException {
        TokenLanguageModelTask task = TokenLanguageModelTask.llamaTiny();
        List<int[]> data = TokenLanguageModelTask.randomRows(4, 12, 1000, 3);
        Path out = tmp.resolve("mezo");
        TrainingArguments args = mezoArguments(out, 2e-4, 60).withOptions(Map.of("optim_args", "zo_eps=1e-3,n_spsa=1"));
        new Trainer<>(args, task, data, List.of()).train();
        task.model.parameters().values().forEach(v -> assertFalse(v.hasGrad(), "no gradient for a MeZO run"));
        List<Double> losses = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            JsonNode row = json.readTree(line);
            if (row.has("loss")) {
                losses.add(row.get("loss").asDouble());
            }
        }
        assertEquals(6, losses.size());
        assertTrue(losses.getLast() < losses.getFirst() - 0.05, "MeZO lowers the loss on a fixed batch: " + losses);
    }

    @Test
    void trainsLoraAdaptersOnlyWithForwardPasses() throws IOException {
        CausalLM base = HfModels.load(Fixture.load("llama-tiny").dir());
        Map<String, float[]> baseBefore = new LinkedHashMap<>();
        base.parameters().forEach((name, v) -> baseBefore.put(name, v.value().data().clone()));
        LoraModel lora = LoraModel.create(base, new LoraConfig(4, 8, 0, new TargetModules.AllLinear(), false, null), 5);
        Map<String, float[]> adaptersBefore = new LinkedHashMap<>();
        lora.parameters().forEach((name, v) -> adaptersBefore.put(name, v.value().data().clone()));
        TokenLanguageModelTask task = new TokenLanguageModelTask(lora);
        Path out = tmp.resolve("mezo-lora");
        List<int[]> data = TokenLanguageModelTask.randomRows(4, 12, 1000, 3);
        double before = task.loss(Tape.inference(), data).loss().value().get(0);
        new Trainer<>(mezoArguments(out, 1e-3, 40), task, data, List.of()).train();
        double after = task.loss(Tape.inference(), data).loss().value().get(0);
        base.parameters().forEach((name, v) -> assertArrayEquals(baseBefore.get(name), v.value().data(),
                "MeZO on LoRA leaves base weight " + name + " untouched"));
        long changed = lora.parameters().entrySet().stream()
                .filter(e -> !Arrays.equals(adaptersBefore.get(e.getKey()), e.getValue().value().data())).count();
        assertEquals(lora.parameters().size(), changed, "every adapter tensor moves");
        assertTrue(after < before - 0.01, "MeZO on the adapters lowers the loss: " + before + " -> " + after);
    }

    /** A MeZO run of {@code steps} steps of 4 rows at a constant {@code lr}, logging every 10 steps, no checkpoints. */
    private static TrainingArguments mezoArguments(Path out, double lr, int steps) {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("output_dir", out.toString());
        options.put("optim", "mezo");
        options.put("learning_rate", lr);
        options.put("max_steps", steps);
        options.put("per_device_train_batch_size", 4);
        options.put("logging_steps", 10);
        options.put("lr_scheduler_type", "constant");
        options.put("disable_tqdm", true);
        options.put("save_strategy", "no");
        options.put("plot_loss", false);
        return TrainingArguments.defaults().withOptions(options);
    }
}
