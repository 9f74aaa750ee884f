package org.align4j.align.dpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.data.Example;
import org.align4j.data.PreferencePair;
import org.align4j.data.PreferenceTokenization;
import org.align4j.data.TruncationMode;
import org.align4j.model.CausalLM;
import org.align4j.model.Fixture;
import org.align4j.model.HfModelWriter;
import org.align4j.model.HfModels;
import org.align4j.train.AdamW;
import org.align4j.train.TaskOutput;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The DPO trainer's path end to end against TRL/PyTorch on the five fixture models: the fixture's three pre-tokenized
 * pairs go through {@link PreferenceTokenization}, {@link PreferenceBatch} (one forward pass over chosen and rejected
 * rows), {@link ModelReference} and {@link DpoTask}, and must reproduce TRL's sequence log-probabilities, every loss
 * type, the logged metrics, the parameter gradients of the sigmoid loss and five AdamW steps.
 */
class DpoTaskFixtureTest {
    static final List<String> MODELS = Fixture.NAMES;

    /** The golden pairs as the trainer reads them: pre-tokenized, no EOS appended, no truncation needed. */
    static List<PreferencePair> pairs(DpoGolden g) {
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < g.pairs(); i++) {
            examples.add(new Example.TokenizedPreference("golden:" + i, g.prompt(i), g.chosen(i), g.rejected(i)));
        }
        return new PreferenceTokenization(null, 1024, TruncationMode.KEEP_START).tokenizeAll(examples).pairs();
    }

    private static DpoTask task(CausalLM policy, CausalLM reference, double beta) {
        return new DpoTask(policy, new ModelReference(reference), DpoLossConfig.defaults().withOptions(Map.of("beta", beta)), 0, null,
                new HfModelWriter(null, null));
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void sequenceLogProbsAndEveryLossTypeMatchTrl(String name) {
        Fixture f = Fixture.load(name);
        DpoGolden g = DpoGolden.load(name);
        CausalLM policy = HfModels.load(f.dir());
        ModelReference reference = new ModelReference(HfModels.load(f.dir().resolve("ref")));
        PreferenceBatch batch = PreferenceBatch.of(pairs(g), 0);
        CompletionLogpReduction reduction = batch.reduction(DpoLossConfig.defaults());
        PreferenceBatch.SequenceLogps pol = batch.sequenceLogps(batch.tokenLogProbs(Tape.inference(), policy),
                reduction);
        PreferenceBatch.SequenceLogps ref = reference.logps(batch, reduction);
        double worst = 0;
        worst = Math.max(worst, maxDiff(g.logps("policy_chosen_logps"), pol.chosen(), name + " policy chosen"));
        worst = Math.max(worst, maxDiff(g.logps("policy_rejected_logps"), pol.rejected(), name + " policy rejected"));
        worst = Math.max(worst, maxDiff(g.logps("ref_chosen_logps"), ref.chosen(), name + " ref chosen"));
        worst = Math.max(worst, maxDiff(g.logps("ref_rejected_logps"), ref.rejected(), name + " ref rejected"));
        DpoLossInput pairBatch = DpoLossInput.of(pol.chosen(), pol.rejected(), ref.chosen(), ref.rejected(),
                reduction.chosenLengths(), reduction.rejectedLengths());
        double worstLoss = 0;
        for (DpoLossType type : DpoLossType.values()) {
            if (!g.hasLoss(type)) {
                continue;
            }
            DpoLoss.Result r = new DpoLoss(g.config(type)).compute(pairBatch);
            worstLoss = Math.max(worstLoss, maxDiff(g.perPair(type), r.term(type).perItem(), name + " " + type));
            worstLoss = Math.max(worstLoss, maxDiff(new double[] {g.mean(type)}, new double[] {r.loss()},
                    name + " " + type + " mean"));
        }
        System.out.printf("%s: worst |diff| log-probs %.2e, losses %.2e%n", name, worst, worstLoss);
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void taskLossMetricsAndGradientsMatchTrl(String name) {
        Fixture f = Fixture.load(name);
        DpoGolden g = DpoGolden.load(name);
        CausalLM policy = HfModels.load(f.dir());
        DpoTask task = task(policy, HfModels.load(f.dir().resolve("ref")), g.beta());
        Tape tape = Tape.recording();
        TaskOutput out = task.loss(tape, pairs(g));
        assertEquals(g.mean(DpoLossType.SIGMOID), out.lossValue(), 1e-5, name + " sigmoid loss");
        for (String metric : List.of("rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins",
                "logps/chosen", "logps/rejected")) {
            assertEquals(g.metric(metric), out.metrics().get(metric), 1e-4, name + " " + metric);
        }
        assertTrue(out.metrics().keySet().containsAll(List.of("entropy", "mean_token_accuracy", "logits/chosen",
                "logits/rejected")), out.metrics().keySet().toString());
        int tokens = 0;
        for (int i = 0; i < g.pairs(); i++) {
            tokens += 2 * g.prompt(i).length + g.chosen(i).length + g.rejected(i).length;
        }
        assertEquals(tokens, out.tokens(), "num_tokens counts every real token of the 2n rows");
        tape.backward(out.loss());
        double worst = 0;
        for (Map.Entry<String, Var> e : policy.parameters().entrySet()) {
            double rel = e.getValue().grad().relativeError(f.goldenTensor("dpo_grad." + e.getKey()));
            assertTrue(rel <= 1e-3, name + ": gradient of " + e.getKey() + " relative error " + rel);
            worst = Math.max(worst, rel);
        }
        System.out.printf("%s: DpoTask loss %.9f (TRL %.9f), worst gradient relative error %.2e%n", name,
                out.lossValue(), g.mean(DpoLossType.SIGMOID), worst);
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void fiveAdamWStepsFollowTrl(String name) {
        Fixture f = Fixture.load(name);
        DpoGolden g = DpoGolden.load(name);
        JsonNode cfg = f.golden().get("dpo_adamw");
        CausalLM policy = HfModels.load(f.dir());
        DpoTask task = task(policy, HfModels.load(f.dir().resolve("ref")), cfg.get("beta").asDouble());
        AdamW adamw = new AdamW(cfg.get("betas").get(0).asDouble(), cfg.get("betas").get(1).asDouble(),
                cfg.get("eps").asDouble(), cfg.get("weight_decay").asDouble());
        List<PreferencePair> pairs = pairs(g);
        double worst = 0;
        for (double want : Fixture.doubles(cfg.get("losses"))) {
            Tape tape = Tape.recording();
            TaskOutput out = task.loss(tape, pairs);
            worst = Math.max(worst, Math.abs(want - out.lossValue()));
            assertEquals(want, out.lossValue(), 1e-4, name + " loss before AdamW step " + (adamw.steps() + 1));
            tape.backward(out.loss());
            adamw.step(task.trainableParameters(), cfg.get("lr").asDouble());
            task.trainableParameters().values().forEach(Var::zeroGrad);
        }
        System.out.printf("%s: 5 DPO AdamW steps, worst |loss diff| %.2e%n", name, worst);
    }

    private static double maxDiff(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4, what + " [" + i + "]");
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        return worst;
    }

}
