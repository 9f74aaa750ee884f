package org.align4j.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.align4j.tensor.Backend;
import org.align4j.tensor.Kernels;
import org.align4j.tensor.Tensor;
import org.align4j.tensor.cpu.ScalarKernels;
import org.junit.jupiter.api.Test;

/** Every autograd op's recorded backward against finite differences of its forward (double-precision checker). */
class OpsGradientTest {
    private final GradientChecker checker = new GradientChecker().withTolerance(2e-3);

    /**
     * Checks op(inputs) with inputs of the given shapes: the function is the op's forward; the gradients come from
     * backward of Σ out · dout through the tape.
     */
    private void check(String what, BiFunction<Tape, List<Var>, Var> op, int[]... shapes) {
        Random rng = new Random(what.hashCode());
        List<float[]> inputs = new ArrayList<>();
        for (int[] shape : shapes) {
            float[] x = new float[Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rng.nextGaussian();
            }
            inputs.add(x);
        }
        GradientChecker.Function forward = in -> op.apply(Tape.inference(), vars(in, shapes)).value().data().clone();
        GradientChecker.Gradients backward = (in, dout) -> {
            Tape tape = Tape.recording();
            List<Var> vars = vars(in, shapes);
            Var out = op.apply(tape, vars);
            tape.backward(Ops.weightedSum(tape, out, dout));
            return vars.stream().map(v -> v.grad().data()).toList();
        };
        checker.check(what, forward, backward, inputs);
    }

    private static List<Var> vars(List<float[]> in, int[][] shapes) {
        List<Var> vars = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) {
            vars.add(new Var(Tensor.of(in.get(i).clone(), shapes[i]), true));
        }
        return vars;
    }

    @Test
    void linearAndConv1d() {
        check("linear", (t, v) -> Ops.linear(t, v.get(0), v.get(1), v.get(2)), new int[] {5, 7}, new int[] {3, 7},
                new int[] {3});
        check("linear without bias", (t, v) -> Ops.linear(t, v.get(0), v.get(1), null), new int[] {4, 6},
                new int[] {9, 6});
        check("conv1d", (t, v) -> Ops.conv1d(t, v.get(0), v.get(1), v.get(2)), new int[] {5, 7}, new int[] {7, 3},
                new int[] {3});
    }

    @Test
    void lowRankUpdate() {
        check("low rank", (t, v) -> Ops.addLowRank(t, v.get(0), v.get(1), v.get(2), v.get(3), 0.7f),
                new int[] {5, 3}, new int[] {5, 6}, new int[] {2, 6}, new int[] {3, 2});
        check("linear + low rank on its input",
                (t, v) -> Ops.addLowRank(t, Ops.linear(t, v.get(0), v.get(1), v.get(2)), v.get(0), v.get(3), v.get(4),
                        2f),
                new int[] {4, 6}, new int[] {3, 6}, new int[] {3}, new int[] {2, 6}, new int[] {3, 2});
        check("conv1d + low rank on its input",
                (t, v) -> Ops.addLowRank(t, Ops.conv1d(t, v.get(0), v.get(1), null), v.get(0), v.get(2), v.get(3),
                        0.5f),
                new int[] {4, 6}, new int[] {6, 5}, new int[] {3, 6}, new int[] {5, 3});
    }

    @Test
    void lowRankUpdateWritesIntoTheBaseOutput() {
        Var y = Var.constant(Tensor.of(new float[] {1, 2}, 1, 2));
        Var x = Var.constant(Tensor.of(new float[] {3}, 1, 1));
        Var a = Var.constant(Tensor.of(new float[] {2}, 1, 1));
        Var b = Var.constant(Tensor.of(new float[] {1, -1}, 2, 1));
        Var out = Ops.addLowRank(Tape.inference(), y, x, a, b, 0.5f);
        assertEquals(List.of(4f, -1f), List.of(out.value().get(0), out.value().get(1)));
        assertSame(y.value(), out.value());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Ops.addLowRank(Tape.inference(), y, x, a, Var.constant(Tensor.zeros(2, 2)), 1f));
        assertEquals("low rank: A Tensor[1, 1] and B Tensor[2, 2] differ in rank", e.getMessage());
    }

    @Test
    void dropout() {
        check("dropout", (t, v) -> Ops.dropout(t, v.get(0), 0.3, new SplittableRandom(7)), new int[] {4, 5});
        float[] ones = new float[10_000];
        Arrays.fill(ones, 1f);
        float[] out = Ops.dropout(Tape.inference(), Var.constant(Tensor.of(ones, 100, 100)), 0.25,
                new SplittableRandom(3)).value().data();
        int zeros = 0;
        for (float o : out) {
            if (o == 0f) {
                zeros++;
            } else {
                assertEquals(1f / 0.75f, o, "kept elements are scaled by 1 / (1 - p)");
            }
        }
        assertEquals(2500, zeros, 150, "about p of the elements are dropped");
        assertArrayEquals(ones, Ops.dropout(Tape.inference(), Var.constant(Tensor.of(ones, 100, 100)), 0,
                new SplittableRandom(3)).value().data(), "p = 0 keeps everything");
        assertThrows(IllegalArgumentException.class, () -> Ops.dropout(Tape.inference(),
                Var.constant(Tensor.of(ones, 100, 100)), 1, new SplittableRandom(3)));
    }

    /**
     * With an input frozen (a LoRA base's norm weight, an MLP branch without adapter), the others get the gradients
     * they get when everything trains, on both backends.
     */
    @Test
    void frozenInputsAreSkippedNotMiscomputed() {
        Kernels vector = Backend.kernels();
        for (Kernels kernels : List.of(vector, new ScalarKernels())) {
            Backend.use(kernels);
            try {
                int[][] norm = {{4, 10}, {10}, {10}};
                for (int frozen = 0; frozen < 3; frozen++) {
                    compareWithFrozen(kernels.name() + " layer_norm",
                            (t, v) -> Ops.layerNorm(t, v.get(0), v.get(1), v.get(2), 1e-5f), frozen, norm);
                    compareWithFrozen(kernels.name() + " swiglu", (t, v) -> Ops.swiglu(t, v.get(0), v.get(1)),
                            frozen % 2, new int[] {3, 11}, new int[] {3, 11});
                    compareWithFrozen(kernels.name() + " rms_norm", (t, v) -> Ops.rmsNorm(t, v.get(0), v.get(1), 1e-6f),
                            frozen % 2, new int[] {4, 10}, new int[] {10});
                }
            } finally {
                Backend.use(vector);
            }
        }
    }

    private static void compareWithFrozen(String what, BiFunction<Tape, List<Var>, Var> op, int frozen,
                                          int[]... shapes) {
        Random rng = new Random(what.hashCode());
        List<Tensor> values = new ArrayList<>();
        for (int[] shape : shapes) {
            Tensor t = Tensor.zeros(shape);
            for (int i = 0; i < t.size(); i++) {
                t.data()[i] = (float) rng.nextGaussian();
            }
            values.add(t);
        }
        List<Var> all = values.stream().map(t -> new Var(t, true)).toList();
        List<Var> some = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            some.add(new Var(values.get(i), i != frozen));
        }
        for (List<Var> vars : List.of(all, some)) {
            Tape tape = Tape.recording();
            Var out = op.apply(tape, vars);
            float[] dout = new float[out.value().size()];
            Arrays.fill(dout, 0.5f);
            tape.backward(Ops.weightedSum(tape, out, dout));
        }
        for (int i = 0; i < values.size(); i++) {
            if (i == frozen) {
                assertEquals(false, some.get(i).hasGrad(), what + ": input " + i + " is frozen");
            } else {
                assertArrayEquals(all.get(i).grad().data(), some.get(i).grad().data(), what + ": input " + i);
            }
        }
    }

    @Test
    void embeddingAddAndScale() {
        int[] ids = {3, 0, 3, 1};
        check("embedding", (t, v) -> Ops.embedding(t, ids, v.get(0)), new int[] {5, 6});
        check("add", (t, v) -> Ops.add(t, v.get(0), v.get(1)), new int[] {4, 3}, new int[] {4, 3});
        check("scale", (t, v) -> Ops.scale(t, v.get(0), 1.7f), new int[] {4, 3});
    }

    @Test
    void norms() {
        check("layer_norm", (t, v) -> Ops.layerNorm(t, v.get(0), v.get(1), v.get(2), 1e-5f), new int[] {4, 10},
                new int[] {10}, new int[] {10});
        check("rms_norm", (t, v) -> Ops.rmsNorm(t, v.get(0), v.get(1), 1e-6f), new int[] {4, 10}, new int[] {10});
        check("rms_norm per head", (t, v) -> Ops.rmsNorm(t, v.get(0), v.get(1), 1e-6f), new int[] {3, 12},
                new int[] {4});
    }

    @Test
    void activations() {
        check("gelu", (t, v) -> Ops.gelu(t, v.get(0)), new int[] {3, 11});
        check("swiglu", (t, v) -> Ops.swiglu(t, v.get(0), v.get(1)), new int[] {3, 11}, new int[] {3, 11});
    }

    @Test
    void ropeAndAttention() {
        Tensor[] tables = new org.align4j.model.RopeParameters(10000, "default", 1, 1, 1, 0, 8).tables(16);
        int[] positions = {0, 1, 2, 3, 4, 0, 1, 2, 3, 4};
        check("rope", (t, v) -> Ops.rope(t, v.get(0), positions, tables[0], tables[1], 2, 8), new int[] {10, 16});
        int[] mask = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
        check("attention gqa + padding",
                (t, v) -> Ops.attention(t, v.get(0), v.get(1), v.get(2), mask, 2, 5, 4, 2, 4, 0.5f),
                new int[] {10, 16}, new int[] {10, 8}, new int[] {10, 8});
    }

    @Test
    void splitColumnsConcatenatesBack() {
        check("split", (t, v) -> {
            Var[] parts = Ops.splitColumns(t, v.get(0), 2, 3, 4);
            return Ops.add(t, Ops.add(t, Ops.linear(t, parts[0], v.get(1), null),
                    Ops.linear(t, parts[1], v.get(2), null)), Ops.linear(t, parts[2], v.get(3), null));
        }, new int[] {3, 9}, new int[] {5, 2}, new int[] {5, 3}, new int[] {5, 4});
    }

    @Test
    void fusedLogProbsInChunksEqualsOneChunk() {
        int[] targets = {4, -1, 0, 6, 6, -1, 2};
        check("token log-probs, 2-row chunks",
                (t, v) -> Ops.tokenLogProbs(t, v.get(0), v.get(1), targets, null, null, 2 * 7), new int[] {7, 5}, new int[] {7, 5});
        Random rng = new Random(1);
        float[] h = new float[35];
        float[] w = new float[35];
        for (int i = 0; i < 35; i++) {
            h[i] = (float) rng.nextGaussian();
            w[i] = (float) rng.nextGaussian();
        }
        float[] chunked = Ops.tokenLogProbs(Tape.inference(), Var.constant(Tensor.of(h, 7, 5)),
                Var.constant(Tensor.of(w, 7, 5)), targets, null, null, 7).value().data();
        float[] whole = Ops.tokenLogProbs(Tape.inference(), Var.constant(Tensor.of(h, 7, 5)),
                Var.constant(Tensor.of(w, 7, 5)), targets).value().data();
        TokenStatistics stats = TokenStatistics.forRows(7);
        Ops.tokenLogProbs(Tape.inference(), Var.constant(Tensor.of(h, 7, 5)), Var.constant(Tensor.of(w, 7, 5)),
                targets, stats, null, 7);
        int vocab = 7; // lm_head [7, 5]: vocabulary 7, hidden width 5
        Tensor logits = Ops.logits(Var.constant(Tensor.of(h, 7, 5)), Var.constant(Tensor.of(w, 7, 5)));
        for (int r = 0; r < 7; r++) {
            if (targets[r] < 0) {
                assertEquals(-1, stats.argmax()[r], "no statistics for ignored row " + r);
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            int best = -1;
            double z = 0;
            for (int v = 0; v < vocab; v++) {
                if (logits.get(r * vocab + v) > max) {
                    max = logits.get(r * vocab + v);
                    best = v;
                }
                z += Math.exp(logits.get(r * vocab + v));
            }
            double entropy = 0;
            for (int v = 0; v < vocab; v++) {
                double p = Math.exp(logits.get(r * vocab + v)) / z;
                entropy -= p * Math.log(p);
            }
            assertEquals(best, stats.argmax()[r], "argmax of row " + r);
            assertEquals(entropy, stats.entropy()[r], 1e-5, "entropy of row " + r);
        }
        for (int i = 0; i < targets.length; i++) {
            assertEquals(whole[i], chunked[i], 1e-6, "row " + i);
            if (targets[i] < 0) {
                assertEquals(0f, whole[i], "ignored row " + i);
            }
        }
    }

    @Test
    void logitsOfSelectedRowsAreThoseRowsOfTheFullLogits() {
        Random rng = new Random(2);
        float[] h = new float[4 * 3];
        float[] w = new float[5 * 3];
        for (float[] a : new float[][] {h, w}) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) rng.nextGaussian();
            }
        }
        Var hidden = Var.constant(Tensor.of(h, 4, 3));
        Var lmHead = Var.constant(Tensor.of(w, 5, 3));
        float[] full = Ops.logits(hidden, lmHead).data();
        float[] selected = Ops.logits(hidden, lmHead, new int[] {3, 0}).data();
        assertEquals(10, selected.length);
        for (int v = 0; v < 5; v++) {
            assertEquals(full[3 * 5 + v], selected[v], 1e-6);
            assertEquals(full[v], selected[5 + v], 1e-6);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Ops.logits(hidden, lmHead, new int[] {4}));
        assertEquals("lm_head: row 4 is outside the 4 hidden rows", e.getMessage());
    }

    /**
     * A loss computed elsewhere: its value as given, its gradients added (not written) into the parameters' and
     * scaled by the upstream gradient, a frozen parameter skipped, nothing recorded on an inference tape.
     */
    @Test
    void externalLossAddsItsGradientsTimesTheUpstreamGradient() {
        Var a = new Var(Tensor.of(new float[] {1, 2, 3}, 3), true);
        Var b = new Var(Tensor.of(new float[] {4, 5}, 2), true);
        Var frozen = Var.constant(Tensor.of(new float[] {6}, 1));
        a.grad().data()[0] = 10;
        List<float[]> gradients = List.of(new float[] {0.5f, -1, 2}, new float[] {3, 0.25f}, new float[] {7});
        Tape tape = Tape.recording();
        Var loss = Ops.externalLoss(tape, 1.25, List.of(a, b, frozen), gradients);
        assertEquals(1.25f, loss.value().get(0));
        tape.backward(Ops.weightedSum(tape, loss, new float[] {-2}));
        assertArrayEquals(new float[] {10 - 1, 2, -4}, a.grad().data());
        assertArrayEquals(new float[] {-6, -0.5f}, b.grad().data());
        assertFalse(frozen.hasGrad());

        Var c = new Var(Tensor.of(new float[] {1}, 1), true);
        Var inference = Ops.externalLoss(Tape.inference(), 3, List.of(c), List.of(new float[] {1}));
        assertEquals(3f, inference.value().get(0));
        assertFalse(inference.requiresGrad());
        assertFalse(c.hasGrad());

        assertThrows(IllegalArgumentException.class,
                () -> Ops.externalLoss(Tape.recording(), 0, List.of(a), List.of(new float[] {1, 2})));
        assertThrows(IllegalArgumentException.class,
                () -> Ops.externalLoss(Tape.recording(), 0, List.of(a, b), List.of(new float[] {1, 2, 3})));
    }

    @Test
    void badInputsAreRejectedWithTheirName() {
        Var table = Var.constant(Tensor.zeros(4, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Ops.embedding(Tape.inference(), new int[] {1, 9}, table));
        assertEquals("token id 9 at position 1 is outside the vocabulary [0, 4)", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Ops.linear(Tape.inference(), Var.constant(Tensor.zeros(3, 5)), Var.constant(Tensor.zeros(2, 4)), null));
        assertThrows(IllegalStateException.class, () -> Tape.inference().backward(Var.constant(Tensor.zeros(1))));
    }
}
