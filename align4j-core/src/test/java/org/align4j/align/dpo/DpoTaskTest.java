package org.align4j.align.dpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.data.PreferencePair;
import org.align4j.model.CausalLM;
import org.align4j.model.Fixture;
import org.align4j.model.HfModelWriter;
import org.align4j.model.HfModels;
import org.align4j.tensor.Tensor;
import org.align4j.train.TaskOutput;
import org.junit.jupiter.api.Test;

/** The DPO task's metrics, WPO weighting and TR-DPO reference updates, against direct computations. */
class DpoTaskTest {
    private static final String MODEL = "llama-tiny";

    /** Brute-force TRL metrics from the full logits of every row, in double precision. */
    @Test
    void logitStatisticsAreTrlsMetricsOverTheCompletionTokens() {
        Fixture f = Fixture.load(MODEL);
        CausalLM policy = HfModels.load(f.dir());
        PreferenceBatch batch = PreferenceBatch.of(DpoTaskFixtureTest.pairs(DpoGolden.load(MODEL)), 0);
        Var hidden = policy.hiddenStates(Tape.inference(), batch.input());
        CompletionLogitStatistics statistics = new CompletionLogitStatistics(batch, false);
        batch.tokenLogProbs(Tape.inference(), policy, hidden, statistics);
        Map<String, Double> metrics = statistics.metrics();

        Tensor logits = Ops.logits(hidden, policy.lmHead());
        int vocab = policy.config().vocabSize();
        int[] targets = batch.targets();
        int half = targets.length / 2;
        double entropy = 0;
        double chosenLogits = 0;
        double rejectedLogits = 0;
        int tokens = 0;
        int chosen = 0;
        int correct = 0;
        for (int r = 0; r < targets.length; r++) {
            if (targets[r] < 0) {
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            int best = -1;
            double mean = 0;
            for (int v = 0; v < vocab; v++) {
                double z = logits.get(r * vocab + v);
                mean += z / vocab;
                if (z > max) {
                    max = z;
                    best = v;
                }
            }
            double sum = 0;
            for (int v = 0; v < vocab; v++) {
                sum += Math.exp(logits.get(r * vocab + v) - max);
            }
            double lse = max + Math.log(sum);
            for (int v = 0; v < vocab; v++) {
                double p = Math.exp(logits.get(r * vocab + v) - lse);
                entropy -= p * (logits.get(r * vocab + v) - lse);
            }
            tokens++;
            if (r < half) {
                chosen++;
                chosenLogits += mean;
                correct += best == targets[r] ? 1 : 0;
            } else {
                rejectedLogits += mean;
            }
        }
        assertEquals(entropy / tokens, metrics.get("entropy"), 1e-6);
        assertEquals((double) correct / chosen, metrics.get("mean_token_accuracy"), 0);
        assertEquals(chosenLogits / chosen, metrics.get("logits/chosen"), 1e-6);
        assertEquals(rejectedLogits / (tokens - chosen), metrics.get("logits/rejected"), 1e-6);
    }

    /**
     * The losses of disjoint batches averaged by their sizes, and their metrics by {@link DpoTask#metricWeights}, are
     * the loss and metrics of their union, for a loss type that is a mean over pairs (what data-parallel training
     * relies on); sft's token mean is not.
     */
    @Test
    void metricsOfDisjointBatchesAverageWithTheirMetricWeightsToTheirUnions() {
        Fixture f = Fixture.load(MODEL);
        CausalLM policy = HfModels.load(f.dir());
        CausalLM reference = HfModels.load(f.dir().resolve("ref"));
        List<PreferencePair> pairs = DpoTaskFixtureTest.pairs(DpoGolden.load(MODEL));
        DpoTask task = new DpoTask(policy, new ModelReference(reference), DpoLossConfig.defaults(), 0, null,
                new HfModelWriter(null, null));
        TaskOutput whole = task.loss(Tape.inference(), pairs);
        List<List<PreferencePair>> parts = List.of(pairs.subList(0, 1), pairs.subList(1, pairs.size()));
        double loss = 0;
        Map<String, double[]> sums = new HashMap<>();
        for (List<PreferencePair> part : parts) {
            TaskOutput out = task.loss(Tape.inference(), part);
            loss += out.lossValue() * part.size() / pairs.size();
            Map<String, Double> weights = task.metricWeights(part);
            out.metrics().forEach((name, value) -> {
                double[] sum = sums.computeIfAbsent(name, k -> new double[2]);
                sum[0] += value * weights.get(name);
                sum[1] += weights.get(name);
            });
        }
        assertEquals(whole.lossValue(), loss, 1e-6);
        assertEquals(whole.metrics().keySet(), sums.keySet());
        assertEquals(whole.metrics().keySet(), task.metricWeights(pairs).keySet());
        whole.metrics().forEach((name, value) ->
                assertEquals(value, sums.get(name)[0] / sums.get(name)[1], 1e-6, name));
        assertTrue(DpoLossType.SIGMOID.meanOverPairs() && DpoLossType.IPO.meanOverPairs());
        assertFalse(DpoLossType.SFT.meanOverPairs() || DpoLossType.AOT.meanOverPairs()
                || DpoLossType.AOT_UNPAIRED.meanOverPairs());
    }

    /** WPO: each pair's sigmoid loss times exp(mean(logp - log Σp²)) of both responses, from the full logits. */
    @Test
    void useWeightingScalesEachPairByItsWpoWeights() {
        Fixture f = Fixture.load(MODEL);
        DpoGolden g = DpoGolden.load(MODEL);
        CausalLM policy = HfModels.load(f.dir());
        CausalLM reference = HfModels.load(f.dir().resolve("ref"));
        List<PreferencePair> pairs = DpoTaskFixtureTest.pairs(g);
        DpoTask task = new DpoTask(policy, new ModelReference(reference),
                DpoLossConfig.defaults().withOptions(Map.of("use_weighting", true)), 0, null, new HfModelWriter(null, null));
        double loss = task.loss(Tape.inference(), pairs).lossValue();

        PreferenceBatch batch = PreferenceBatch.of(pairs, 0);
        Var hidden = policy.hiddenStates(Tape.inference(), batch.input());
        Var logp = batch.tokenLogProbs(Tape.inference(), policy, hidden, null);
        Tensor logits = Ops.logits(hidden, policy.lmHead());
        int vocab = policy.config().vocabSize();
        int seq = batch.input().seq();
        int n = batch.size();
        CompletionLogpReduction sums = batch.reduction(DpoLossConfig.defaults());
        PreferenceBatch.SequenceLogps pol = batch.sequenceLogps(logp, sums);
        PreferenceBatch.SequenceLogps ref = new ModelReference(reference).logps(batch, sums);
        double[] sigmoid = new DpoLoss(DpoLossConfig.defaults()).compute(DpoLossInput.of(pol.chosen(), pol.rejected(),
                ref.chosen(), ref.rejected(), new int[n], new int[n])).perPair();
        double expected = 0;
        for (int i = 0; i < n; i++) {
            double weight = 1;
            for (int row : new int[] {i, n + i}) {
                double sum = 0;
                int count = 0;
                for (int t = 0; t < seq; t++) {
                    int r = row * seq + t;
                    if (batch.targets()[r] >= 0) {
                        sum += logp.value().get(r) - WpoWeighting.logSumSquaredProbs(logits.data(), r * vocab, vocab);
                        count++;
                    }
                }
                weight *= Math.exp(sum / count);
            }
            expected += sigmoid[i] * weight / n;
        }
        assertEquals(expected, loss, 1e-6 * Math.max(1, Math.abs(expected)));
    }

    @Test
    void trDpoMixesThePolicyIntoTheReferenceEveryRefModelSyncSteps() {
        Fixture f = Fixture.load(MODEL);
        CausalLM policy = HfModels.load(f.dir());
        ModelReference reference = new ModelReference(HfModels.load(f.dir().resolve("ref")));
        DpoTask task = new DpoTask(policy, reference, DpoLossConfig.defaults(), 0,
                new DpoTask.ReferenceSync(reference, 0.6, 2), new HfModelWriter(null, null));
        String name = "model.embed_tokens.weight";
        float[] before = reference.model().parameters().get(name).value().data().clone();
        float[] pol = policy.parameters().get(name).value().data();
        task.onStepEnd(1);
        assertArrayEquals(before, reference.model().parameters().get(name).value().data(), "step 1: no sync");
        task.onStepEnd(2);
        float[] after = reference.model().parameters().get(name).value().data();
        for (int i = 0; i < after.length; i++) {
            assertEquals(before[i] * 0.4f + pol[i] * 0.6f, after[i], 0f, "element " + i);
        }
        assertThrows(IllegalArgumentException.class, () -> reference.mixIn(policy, 1.5));
    }

    @Test
    void aFrozenCopyDoesNotMoveWithThePolicy() {
        Fixture f = Fixture.load(MODEL);
        DpoGolden g = DpoGolden.load(MODEL);
        CausalLM policy = HfModels.load(f.dir());
        ModelReference copy = ModelReference.frozenCopyOf(policy);
        DpoTask task = new DpoTask(policy, copy, DpoLossConfig.defaults(), 0, null, new HfModelWriter(null, null));
        List<PreferencePair> pairs = DpoTaskFixtureTest.pairs(g);
        TaskOutput first = task.loss(Tape.inference(), pairs);
        assertEquals(Math.log(2), first.lossValue(), 1e-6, "policy = reference: every margin is 0");
        assertEquals(0.0, first.metrics().get("rewards/margins"), 1e-6);
        Tensor w = policy.parameters().get("model.norm.weight").value();
        w.data()[0] += 0.5f;
        assertNotEquals(w.get(0), copy.model().parameters().get("model.norm.weight").value().get(0));
    }
}
