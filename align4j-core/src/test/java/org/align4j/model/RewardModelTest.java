package org.align4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.io.Dtype;
import org.align4j.model.io.SafeTensors;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** The sequence-classification reward model: pooling, the head, HF files, loading back. */
class RewardModelTest {
    static final List<String> MODELS = Fixture.NAMES;
    /** The golden batch pads row 1 with id 0. */
    private static final int GOLDEN_PAD = 0;

    @TempDir
    Path tmp;

    /**
     * With the lm_head row of token v as its head, the reward of a row is transformers' logit of v at the row's last
     * non-pad position, and a hand computation w · h from the backbone's final hidden state gives the same.
     */
    @ParameterizedTest
    @FieldSource("MODELS")
    void rewardIsTheHeadAtTheLastNonPadHiddenState(String name) {
        Fixture f = Fixture.load(name);
        CausalLM lm = HfModels.load(f.dir());
        int vocabRow = 417;
        int hidden = lm.config().hiddenSize();
        float[] head = new float[hidden];
        System.arraycopy(lm.lmHead().value().data(), vocabRow * hidden, head, 0, hidden);
        RewardModel rm = RewardModel.of(lm, Tensor.of(head, 1, hidden), GOLDEN_PAD);
        ModelInput batch = f.lmBatch();
        assertArrayEquals(new int[] {11, 8}, rm.pooledPositions(batch));

        Tensor rewards = rm.rewards(Tape.inference(), batch).value();
        assertArrayEquals(new int[] {2, 1}, rewards.shape());
        Tensor goldenLogits = f.goldenTensor("logits");
        Tensor h = lm.hiddenStates(Tape.inference(), batch).value();
        int[] last = {11, 8};
        for (int b = 0; b < 2; b++) {
            int row = b * batch.seq() + last[b];
            double byHand = 0;
            for (int i = 0; i < hidden; i++) {
                byHand += (double) head[i] * h.get(row * hidden + i);
            }
            assertEquals(byHand, rewards.get(b), 1e-5, name + " row " + b + " by hand");
            assertEquals(goldenLogits.get(row * 1000 + vocabRow), rewards.get(b), 2e-4, name + " row " + b
                    + " vs transformers' logit");
        }
    }

    @Test
    void poolsTheRightmostNonPadTokenAsTransformersFive() {
        RewardModel rm = RewardModel.of(HfModels.load(Fixture.load("llama-tiny").dir()), Tensor.zeros(1, 64), 2);
        ModelInput in = ModelInput.of(new int[][] {
                {5, 6, 7, 2, 2},    // pad == eos: the trailing eos counts as padding
                {2, 2, 5, 6, 7},    // left padding
                {5, 2, 6, 2, 2},    // a pad id inside the text is skipped, not a stop
                {2, 2, 2, 2, 2}},   // only pad ids: position 0
                null);
        assertArrayEquals(new int[] {2, 4, 2, 0}, rm.pooledPositions(in));

        RewardModel noPad = rm.withPadTokenId(null);
        assertThrows(IllegalArgumentException.class, () -> noPad.pooledPositions(in));
        assertArrayEquals(new int[] {4}, noPad.pooledPositions(ModelInput.of(new int[][] {{5, 2, 2, 2, 2}}, null)));
    }

    @Test
    void fromACausalLmDropsTheLmHeadAndDrawsASeededHead() {
        CausalLM lm = HfModels.load(Fixture.load("llama-tiny").dir());
        assertTrue(lm.parameters().containsKey("lm_head.weight"));
        RewardModel a = RewardModel.fromCausalLM(lm, 7);
        RewardModel b = RewardModel.fromCausalLM(lm, 7);
        RewardModel c = RewardModel.fromCausalLM(lm, 8);
        assertFalse(a.parameters().containsKey("lm_head.weight"));
        assertEquals(Models.backboneParameterShapes(lm.config()).size() + 1, a.parameters().size());
        assertEquals(RewardModel.SCORE_WEIGHT, List.copyOf(a.parameters().keySet()).getLast());
        float[] head = a.scoreWeight().value().data();
        assertArrayEquals(head, b.scoreWeight().value().data());
        assertFalse(java.util.Arrays.equals(head, c.scoreWeight().value().data()));
        double sumSquares = 0;
        for (float w : head) {
            sumSquares += w * w;
        }
        double std = Math.sqrt(sumSquares / head.length);
        assertEquals(0.1, std, 0.03, "N(0, initializer_range 0.1)");
        assertEquals("LlamaForSequenceClassification", a.config().json().get("architectures").get(0).asText());
        assertTrue(a.padTokenId().isEmpty(), "the fixture's pad_token_id is null");
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void savedInTheHfLayoutAndLoadedBackWithTheSameScores(String name) throws IOException {
        CausalLM lm = HfModels.load(Fixture.load(name).dir());
        RewardModel rm = RewardModel.fromCausalLM(lm, 3).withPadTokenId(GOLDEN_PAD);
        List<int[]> sequences = List.of(new int[] {4, 8, 15, 16, 23, 42}, new int[] {7, 9}, new int[] {1, 2, 3});
        double[] before = rm.score(sequences);
        Path dir = tmp.resolve(name);
        rm.save(dir, Dtype.F32);

        JsonNode config = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        String expectedClass = switch (lm.config().modelType()) {
            case "gpt2" -> "GPT2ForSequenceClassification";
            case "llama" -> "LlamaForSequenceClassification";
            case "qwen2" -> "Qwen2ForSequenceClassification";
            default -> "Qwen3ForSequenceClassification";
        };
        assertEquals(expectedClass, config.get("architectures").get(0).asText());
        assertEquals("LABEL_0", config.get("id2label").get("0").asText());
        assertEquals(0, config.get("label2id").get("LABEL_0").asInt());
        assertEquals(GOLDEN_PAD, config.get("pad_token_id").asInt());
        try (SafeTensors st = SafeTensors.open(dir.resolve("model.safetensors"))) {
            assertFalse(st.names().contains("lm_head.weight"));
            assertArrayEquals(new int[] {1, lm.config().hiddenSize()}, st.info(RewardModel.SCORE_WEIGHT).shape());
            assertEquals(Models.backboneParameterShapes(lm.config()).size() + 1, st.names().size());
        }

        RewardModel loaded = RewardModel.load(dir, 999);
        assertArrayEquals(before, loaded.score(sequences));
        assertEquals(GOLDEN_PAD, loaded.padTokenId().getAsInt());
        assertNotEquals(before[0], before[1]);
    }

    @Test
    void loadsACausalLmCheckpointWithASeededHead() {
        Path dir = Fixture.load("qwen2-tiny").dir();
        RewardModel a = RewardModel.load(dir, 11);
        RewardModel b = RewardModel.fromCausalLM(HfModels.load(dir), 11);
        assertArrayEquals(a.scoreWeight().value().data(), b.scoreWeight().value().data());
        List<int[]> one = List.<int[]>of(new int[] {3, 1, 4, 1, 5});
        assertArrayEquals(a.score(one), b.score(one));
    }

    @Test
    void badCheckpointsAreModelExceptionsNamingTheProblem() throws IOException {
        RewardModel rm = RewardModel.fromCausalLM(HfModels.load(Fixture.load("gpt2-tiny").dir()), 1);
        Path dir = tmp.resolve("rm");
        rm.save(dir, Dtype.F32);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        config.putObject("id2label").put("0", "LABEL_0").put("1", "LABEL_1");
        json.writeValue(dir.resolve("config.json").toFile(), config);
        ModelException labels = assertThrows(ModelException.class, () -> RewardModel.load(dir, 0));
        assertTrue(labels.getMessage().contains("num_labels is 2"), labels.getMessage());

        Path headless = tmp.resolve("headless");
        HfModels.save(HfModels.load(Fixture.load("gpt2-tiny").dir()), headless, Dtype.F32, null, 0);
        ObjectNode causal = (ObjectNode) json.readTree(headless.resolve("config.json").toFile());
        causal.putArray("architectures").add("GPT2ForSequenceClassification");
        causal.put("num_labels", 1);
        json.writeValue(headless.resolve("config.json").toFile(), causal);
        ModelException missing = assertThrows(ModelException.class, () -> RewardModel.load(headless, 0));
        assertTrue(missing.getMessage().contains("missing tensor 'score.weight'"), missing.getMessage());
    }

    @Test
    void gradientsReachTheHeadAndTheBackbone() {
        RewardModel rm = RewardModel.fromCausalLM(HfModels.load(Fixture.load("llama-tiny").dir()), 5)
                .withPadTokenId(GOLDEN_PAD);
        Tape tape = Tape.recording();
        Var r = rm.rewards(tape, Fixture.load("llama-tiny").lmBatch());
        tape.backward(org.align4j.autograd.Ops.weightedSum(tape, r, new float[] {1f, -1f}));
        for (var e : rm.parameters().entrySet()) {
            assertTrue(e.getValue().hasGrad(), e.getKey());
        }
    }
}
