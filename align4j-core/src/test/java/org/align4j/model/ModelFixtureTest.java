package org.align4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.align4j.align.sft.LanguageModelLoss;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.tensor.Backend;
import org.align4j.tensor.Kernels;
import org.align4j.tensor.Tensor;
import org.align4j.tensor.cpu.ScalarKernels;
import org.align4j.train.AdamW;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Logits, LM loss, gradients and AdamW trajectories of the five fixture models against transformers/PyTorch. */
class ModelFixtureTest {
    static final java.util.List<String> MODELS = Fixture.NAMES;

    @ParameterizedTest
    @FieldSource("MODELS")
    void logitsMatchTransformers(String name) {
        Fixture f = Fixture.load(name);
        CausalLM model = HfModels.load(f.dir());
        ModelInput in = f.lmBatch();
        Tensor logits = Ops.logits(model.hiddenStates(Tape.inference(), in), model.lmHead());
        Tensor golden = f.goldenTensor("logits");
        int vocab = model.config().vocabSize();
        assertEquals(in.batch() * in.seq() * vocab, golden.size());
        double maxDiff = 0;
        for (int r = 0; r < in.batch() * in.seq(); r++) {
            if (in.attentionMask()[r] == 0) {
                continue;
            }
            for (int v = 0; v < vocab; v++) {
                maxDiff = Math.max(maxDiff, Math.abs(logits.get(r * vocab + v) - golden.get(r * vocab + v)));
            }
        }
        assertTrue(maxDiff <= 1e-4, name + ": max |logits diff| " + maxDiff);
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void lossAndGradientsMatchPyTorch(String name) {
        Fixture f = Fixture.load(name);
        CausalLM model = HfModels.load(f.dir());
        Tape tape = Tape.recording();
        Var loss = LanguageModelLoss.nextToken(tape, model, f.lmBatch());
        assertEquals(f.golden().get("lm_loss").asDouble(), loss.value().get(0), 1e-5, name + " lm_loss");
        tape.backward(loss);
        for (Map.Entry<String, Var> e : model.parameters().entrySet()) {
            Tensor expected = f.goldenTensor("lm_grad." + e.getKey());
            double rel = e.getValue().grad().relativeError(expected);
            assertTrue(rel <= 1e-3, name + ": gradient of " + e.getKey() + " relative error " + rel);
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void fiveAdamWStepsFollowPyTorch(String name) {
        Fixture f = Fixture.load(name);
        JsonNode cfg = f.golden().get("sft_adamw");
        double[] expected = Fixture.doubles(cfg.get("losses"));
        CausalLM model = HfModels.load(f.dir());
        AdamW adamw = new AdamW(cfg.get("betas").get(0).asDouble(), cfg.get("betas").get(1).asDouble(),
                cfg.get("eps").asDouble(), cfg.get("weight_decay").asDouble());
        ModelInput in = f.lmBatch();
        for (double want : expected) {
            Tape tape = Tape.recording();
            Var loss = LanguageModelLoss.nextToken(tape, model, in);
            assertEquals(want, loss.value().get(0), 1e-4, name + " loss at AdamW step " + adamw.steps());
            tape.backward(loss);
            adamw.step(model.parameters(), cfg.get("lr").asDouble());
            model.parameters().values().forEach(Var::zeroGrad);
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void scalarTwinBackendMatchesTheGoldens(String name) {
        Fixture f = Fixture.load(name);
        Kernels fast = Backend.kernels();
        Backend.use(new ScalarKernels());
        try {
            CausalLM model = HfModels.load(f.dir());
            Tape tape = Tape.recording();
            Var loss = LanguageModelLoss.nextToken(tape, model, f.lmBatch());
            assertEquals(f.golden().get("lm_loss").asDouble(), loss.value().get(0), 1e-5, name + " lm_loss (scalar)");
            tape.backward(loss);
            for (Map.Entry<String, Var> e : model.parameters().entrySet()) {
                double rel = e.getValue().grad().relativeError(f.goldenTensor("lm_grad." + e.getKey()));
                assertTrue(rel <= 1e-3, name + ": scalar gradient of " + e.getKey() + " relative error " + rel);
            }
        } finally {
            Backend.use(fast);
        }
    }

}
