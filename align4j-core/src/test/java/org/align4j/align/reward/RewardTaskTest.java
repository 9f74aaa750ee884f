package org.align4j.align.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.align4j.align.TinyModels;
import org.align4j.autograd.Tape;
import org.align4j.data.PreferencePair;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.RewardModel;
import org.align4j.train.TaskOutput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** TRL's reward loss: its formula, its metrics, one padded forward pass, and gradients into every parameter. */
class RewardTaskTest {
    private static final int PAD = 0;

    /** Pairs of random token ids (never the pad id) of different lengths, with margins. */
    static List<PreferencePair> pairs(long seed, int n) {
        Random rng = new Random(seed);
        List<PreferencePair> pairs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            pairs.add(new PreferencePair("pair " + i, sequence(rng, 3 + rng.nextInt(5)),
                    sequence(rng, 2 + rng.nextInt(6)), i * 0.25));
        }
        return pairs;
    }

    private static TokenizedSequence sequence(Random rng, int length) {
        int[] ids = new int[length];
        for (int t = 0; t < length; t++) {
            ids[t] = 1 + rng.nextInt(TinyModels.VOCAB - 1);
        }
        boolean[] mask = new boolean[length];
        Arrays.fill(mask, true);
        return new TokenizedSequence(ids, mask, "test");
    }

    @Test
    void lossIsBradleyTerryWithMarginPlusCentering() {
        double[] chosen = {1.0, -0.5, 0.2};
        double[] rejected = {0.0, 0.5, 0.2};
        double[] margins = {0.5, 0.0, 1.0};
        double lambda = 0.1;
        RewardLoss.Result r = RewardLoss.compute(chosen, rejected, margins, lambda);
        double expected = 0;
        for (int i = 0; i < 3; i++) {
            double z = chosen[i] - rejected[i] - margins[i];
            expected += Math.log1p(Math.exp(-z)) / 3 + lambda * Math.pow(chosen[i] + rejected[i], 2) / 3;
        }
        assertEquals(expected, r.loss(), 1e-12);
        assertEquals(1 / 3.0, r.accuracy(), 1e-12, "a tie is not a win");
        assertEquals((1.0 - 1.0 + 0.0) / 3, r.margin(), 1e-12);
        double h = 1e-6;
        for (int i = 0; i < 3; i++) {
            double[] plus = chosen.clone();
            double[] minus = chosen.clone();
            plus[i] += h;
            minus[i] -= h;
            double numeric = (RewardLoss.compute(plus, rejected, margins, lambda).loss()
                    - RewardLoss.compute(minus, rejected, margins, lambda).loss()) / (2 * h);
            assertEquals(numeric, r.chosenGradient()[i], 1e-8, "d/d chosen " + i);
            plus = rejected.clone();
            minus = rejected.clone();
            plus[i] += h;
            minus[i] -= h;
            numeric = (RewardLoss.compute(chosen, plus, margins, lambda).loss()
                    - RewardLoss.compute(chosen, minus, margins, lambda).loss()) / (2 * h);
            assertEquals(numeric, r.rejectedGradient()[i], 1e-8, "d/d rejected " + i);
        }
        assertEquals(Math.log(2), RewardLoss.compute(new double[] {3}, new double[] {3}, null, null).loss(), 1e-12);
    }

    @Test
    void oneBatchedForwardPassScoresEachSequenceAsAlone() {
        RewardModel rm = RewardModel.fromCausalLM(TinyModels.random("llama", 1), 2).withPadTokenId(PAD);
        List<PreferencePair> batch = pairs(3, 4);
        TaskOutput out = new RewardTask(rm, 0.05, null).loss(Tape.inference(), batch);
        double[] chosen = new double[4];
        double[] rejected = new double[4];
        double[] margins = new double[4];
        int tokens = 0;
        for (int i = 0; i < 4; i++) {
            chosen[i] = rm.score(List.of(batch.get(i).chosen().ids()))[0];
            rejected[i] = rm.score(List.of(batch.get(i).rejected().ids()))[0];
            margins[i] = batch.get(i).margin();
            tokens += batch.get(i).chosen().length() + batch.get(i).rejected().length();
        }
        RewardLoss.Result expected = RewardLoss.compute(chosen, rejected, margins, 0.05);
        assertEquals(expected.loss(), out.lossValue(), 1e-5);
        assertEquals(expected.accuracy(), out.metrics().get("accuracy"), 1e-12);
        assertEquals(expected.margin(), out.metrics().get("margin"), 1e-5);
        double[] all = java.util.stream.DoubleStream.concat(Arrays.stream(chosen), Arrays.stream(rejected)).toArray();
        assertEquals(Arrays.stream(all).min().orElseThrow(), out.metrics().get("min_reward"), 1e-5);
        assertEquals(Arrays.stream(all).average().orElseThrow(), out.metrics().get("mean_reward"), 1e-5);
        assertEquals(Arrays.stream(all).max().orElseThrow(), out.metrics().get("max_reward"), 1e-5);
        assertEquals(tokens, out.tokens());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void parameterGradientsMatchFiniteDifferences(String modelType) {
        RewardModel rm = RewardModel.fromCausalLM(TinyModels.random(modelType, 4), 5).withPadTokenId(PAD);
        RewardTask task = new RewardTask(rm, 0.1, null);
        List<PreferencePair> batch = pairs(6, 3);
        Map<String, ?> params = rm.parameters();
        List<String> names = modelType.equals("gpt2")
                ? List.of(RewardModel.SCORE_WEIGHT, "transformer.h.0.mlp.c_fc.weight", "transformer.wte.weight",
                        "transformer.ln_f.weight")
                : List.of(RewardModel.SCORE_WEIGHT, "model.layers.0.self_attn.q_proj.weight",
                        "model.layers.0.mlp.down_proj.weight", "model.embed_tokens.weight");
        names.forEach(n -> assertEquals(true, params.containsKey(n), n));
        TinyModels.checkParameterGradients(modelType + " reward loss", rm.parameters(), names,
                tape -> task.loss(tape, batch).loss());
    }

    @Test
    void aModelWithoutPadIdCannotBeTrained() {
        RewardModel rm = RewardModel.fromCausalLM(TinyModels.random("llama", 1), 2).withPadTokenId(null);
        assertThrows(IllegalArgumentException.class, () -> new RewardTask(rm, null, null));
    }
}
