package org.align4j.align.dpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.Fixture;
import org.align4j.model.HfModels;
import org.align4j.model.ModelInput;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The loss gradients carried into the model: the fixture's preference pairs run through the policy and reference
 * models, per-token log-probabilities reduced by {@link CompletionLogpReduction}, the sigmoid loss's per-token
 * gradients applied with one {@code Ops.weightedSum} (a surrogate whose gradient is the loss gradient) and
 * back-propagated; every parameter gradient must equal PyTorch's gradient of TRL's mean sigmoid loss
 * ({@code dpo_grad.*}).
 */
class DpoModelGradientTest {
    static final List<String> MODELS = Fixture.NAMES;

    @ParameterizedTest
    @FieldSource("MODELS")
    void sigmoidLossGradientReachesEveryParameterAsInPyTorch(String name) {
        Fixture f = Fixture.load(name);
        DpoGolden g = DpoGolden.load(name);
        PreferenceRows rows = PreferenceRows.of(g);
        CausalLM policy = HfModels.load(f.dir());
        CausalLM reference = HfModels.load(f.dir().resolve("ref"));

        Tape tape = Tape.recording();
        Var logp = Ops.tokenLogProbs(tape, policy.hiddenStates(tape, rows.input()), policy.lmHead(), rows.targets());
        Tape inference = Tape.inference();
        Var refLogp = Ops.tokenLogProbs(inference, reference.hiddenStates(inference, rows.input()),
                reference.lmHead(), rows.targets());

        CompletionLogpReduction reduction = CompletionLogpReduction.sum(rows.chosenMask(), rows.rejectedMask());
        DpoLossInput batch = reduction.batch(rows.tokens(logp, 0), rows.tokens(logp, 1), rows.tokens(refLogp, 0),
                rows.tokens(refLogp, 1));
        assertClose(g.logps("policy_chosen_logps"), batch.policyChosenLogps(), name + " policy chosen logps");
        assertClose(g.logps("policy_rejected_logps"), batch.policyRejectedLogps(), name + " policy rejected logps");
        assertClose(g.logps("ref_chosen_logps"), batch.refChosenLogps(), name + " ref chosen logps");
        assertClose(g.logps("ref_rejected_logps"), batch.refRejectedLogps(), name + " ref rejected logps");

        DpoLoss.Result result = new DpoLoss(DpoLossConfig.defaults().withOptions(Map.of("beta", g.beta()))).compute(batch);
        assertEquals(g.mean(DpoLossType.SIGMOID), result.loss(), 1e-5, name + " sigmoid loss");
        tape.backward(Ops.weightedSum(tape, logp, rows.weights(reduction.tokenGradients(result))));
        double worst = 0;
        for (Map.Entry<String, Var> e : policy.parameters().entrySet()) {
            double rel = e.getValue().grad().relativeError(f.goldenTensor("dpo_grad." + e.getKey()));
            assertTrue(rel <= 1e-3, name + ": DPO gradient of " + e.getKey() + " relative error " + rel);
            worst = Math.max(worst, rel);
        }
        System.out.printf("%s: loss %.9f (TRL %.9f), worst parameter-gradient relative error %.2e%n", name,
                result.loss(), g.mean(DpoLossType.SIGMOID), worst);
    }

    /**
     * The fixture's batch as TRL lays it out: rows [chosen_0..n-1, rejected_0..n-1] of prompt + completion, right
     * padded; the log-probability at position t is that of token t+1, kept where token t+1 is a completion token.
     */
    record PreferenceRows(int pairs, int seq, ModelInput input, int[] targets, boolean[][] chosenMask,
                          boolean[][] rejectedMask) {

        static PreferenceRows of(DpoGolden g) {
            int n = g.pairs();
            int seq = 0;
            for (int i = 0; i < n; i++) {
                seq = Math.max(seq, g.prompt(i).length + Math.max(g.chosen(i).length, g.rejected(i).length));
            }
            int[][] ids = new int[2 * n][seq];
            int[][] mask = new int[2 * n][seq];
            int[] targets = new int[2 * n * seq];
            Arrays.fill(targets, -1);
            boolean[][] chosenMask = new boolean[n][seq];
            boolean[][] rejectedMask = new boolean[n][seq];
            for (int row = 0; row < 2 * n; row++) {
                int pair = row % n;
                int[] prompt = g.prompt(pair);
                int[] completion = row < n ? g.chosen(pair) : g.rejected(pair);
                int length = prompt.length + completion.length;
                for (int t = 0; t < length; t++) {
                    ids[row][t] = t < prompt.length ? prompt[t] : completion[t - prompt.length];
                    mask[row][t] = 1;
                }
                for (int t = prompt.length - 1; t < length - 1; t++) {
                    targets[row * seq + t] = ids[row][t + 1];
                    (row < n ? chosenMask : rejectedMask)[pair][t] = true;
                }
            }
            return new PreferenceRows(n, seq, ModelInput.of(ids, mask), targets, chosenMask, rejectedMask);
        }

        /** Per-token values of the chosen (side 0) or rejected (side 1) rows as [pair][position]. */
        double[][] tokens(Var perRow, int side) {
            double[][] out = new double[pairs][seq];
            for (int i = 0; i < pairs; i++) {
                for (int t = 0; t < seq; t++) {
                    out[i][t] = perRow.value().get((side * pairs + i) * seq + t);
                }
            }
            return out;
        }

        /** The per-token gradients laid out as the rows, for {@code Ops.weightedSum}. */
        float[] weights(CompletionLogpReduction.TokenGradients grads) {
            float[] w = new float[2 * pairs * seq];
            for (int i = 0; i < pairs; i++) {
                for (int t = 0; t < seq; t++) {
                    w[i * seq + t] = (float) grads.chosen()[i][t];
                    w[(pairs + i) * seq + t] = (float) grads.rejected()[i][t];
                }
            }
            return w;
        }
    }

    private static void assertClose(double[] expected, double[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 2e-4, what + " [" + i + "]");
        }
    }

}
