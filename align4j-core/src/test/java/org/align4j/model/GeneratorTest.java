package org.align4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.List;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.tensor.Parallel;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** {@link Generator} against transformers' greedy outputs and the properties of batching, sampling and eos. */
class GeneratorTest {
    static final List<String> MODELS = Fixture.NAMES;
    private static final int[][] PROMPTS = {{169, 760, 418, 471, 225, 197, 898}, {5, 77, 12}};

    private static CausalLM load(String name) {
        return HfModels.load(Fixture.load(name).dir());
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void greedyMatchesTransformers(String name) {
        Fixture f = Fixture.load(name);
        CausalLM model = HfModels.load(f.dir());
        int[] prompt = Fixture.ints(f.golden().get("greedy").get("prompt"));
        int[] expected = Fixture.ints(f.golden().get("greedy").get("output"));
        GenerationConfig config = GenerationConfig.load(f.dir(), model.config())
                .withMaxNewTokens(f.golden().get("greedy").get("max_new_tokens").asInt());
        Generation g = new Generator(model).generate(new int[][] {prompt}, config);
        int[] output = Arrays.copyOf(prompt, prompt.length + g.lengths()[0]);
        System.arraycopy(g.completion(0), 0, output, prompt.length, g.lengths()[0]);
        assertArrayEquals(expected, output, name);
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void leftPaddedBatchEqualsEachPromptAlone(String name) {
        CausalLM model = load(name);
        Generator generator = new Generator(model);
        GenerationConfig config = GenerationConfig.greedy(6);
        Generation batch = generator.generate(PROMPTS, config);
        for (int b = 0; b < PROMPTS.length; b++) {
            Generation alone = generator.generate(new int[][] {PROMPTS[b]}, config);
            assertArrayEquals(alone.tokens()[0], batch.tokens()[b], name + " row " + b);
            for (int t = 0; t < 6; t++) {
                assertEquals(alone.logProbs()[0][t], batch.logProbs()[b][t], 1e-5, name + " row " + b + " step " + t);
            }
        }
    }

    /** The log-probabilities are those of the unmodified model, whatever the temperature and filters. */
    @Test
    void logProbsAreTheModelsNextTokenLogProbs() {
        CausalLM model = load("llama-tiny");
        GenerationConfig config = GenerationConfig.greedy(5).withSampling(0.5, 20, 0.9).withSeed(3);
        int[] prompt = PROMPTS[0];
        Generation g = new Generator(model).generate(new int[][] {prompt}, config);
        int[] sequence = Arrays.copyOf(prompt, prompt.length + 5);
        System.arraycopy(g.tokens()[0], 0, sequence, prompt.length, 5);
        ModelInput full = ModelInput.of(new int[][] {sequence}, null);
        int[] targets = full.nextTokenTargets();
        Arrays.fill(targets, 0, prompt.length - 1, -1);
        Tensor expected = Ops.tokenLogProbs(Tape.inference(), model.hiddenStates(Tape.inference(), full),
                model.lmHead(), targets).value();
        for (int t = 0; t < 5; t++) {
            assertEquals(expected.get(prompt.length - 1 + t), g.logProbs()[0][t], 1e-5, "step " + t);
        }
    }

    @Test
    void samplingIsReproducibleWithASeed() {
        Generator generator = new Generator(load("qwen2-tiny"));
        GenerationConfig config = GenerationConfig.greedy(12).withSampling(1.0, 0, 1.0).withSeed(11);
        Generation first = generator.generate(PROMPTS, config);
        Generation again = generator.generate(PROMPTS, config);
        Generation otherSeed = generator.generate(PROMPTS, config.withSeed(12));
        assertTrue(Arrays.deepEquals(first.tokens(), again.tokens()));
        assertTrue(Arrays.deepEquals(first.logProbs(), again.logProbs()));
        assertFalse(Arrays.deepEquals(first.tokens(), otherSeed.tokens()));
        Generation firstRowAlone = generator.generate(new int[][] {PROMPTS[0]}, config);
        assertArrayEquals(first.tokens()[0], firstRowAlone.tokens()[0], "a row's stream ignores the other rows");
    }

    /**
     * Run inside a task of the engine's pool, the kernels run on one thread; the samples stay the same. The model and
     * prompts are large enough for the prefill's attention and MLP kernels to split their work across threads.
     */
    @Test
    void samplesDoNotDependOnTheThreadCount() throws Exception {
        ModelConfig shape = ModelConfig.fromJson((ObjectNode) new ObjectMapper().readTree("{\"model_type\": \"llama\","
                + " \"vocab_size\": 1000, \"hidden_size\": 256, \"intermediate_size\": 704,"
                + " \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"num_key_value_heads\": 2,"
                + " \"max_position_embeddings\": 128, \"initializer_range\": 0.1}"), "test");
        Generator generator = new Generator(Models.randomInit(shape, 3));
        int[][] prompts = new int[2][];
        for (int b = 0; b < 2; b++) {
            prompts[b] = new int[40 - 7 * b];
            for (int t = 0; t < prompts[b].length; t++) {
                prompts[b][t] = (31 * t + 17 * b) % 1000;
            }
        }
        GenerationConfig config = GenerationConfig.greedy(10).withSampling(0.8, 40, 0.95).withSeed(2);
        Generation parallel = generator.generate(prompts, config);
        Generation[] serial = new Generation[1];
        Parallel.range(2, 1, (from, to) -> {
            if (from == 0) {
                serial[0] = generator.generate(prompts, config);
            }
        });
        assertTrue(Arrays.deepEquals(parallel.tokens(), serial[0].tokens()));
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void topKOneAndTinyTopPAreGreedy(String name) {
        Generator generator = new Generator(load(name));
        GenerationConfig greedy = GenerationConfig.greedy(8);
        int[][] expected = generator.generate(PROMPTS, greedy).tokens();
        assertTrue(Arrays.deepEquals(expected, generator.generate(PROMPTS,
                greedy.withSampling(1.3, 1, 1.0).withSeed(5)).tokens()), "top_k 1");
        assertTrue(Arrays.deepEquals(expected, generator.generate(PROMPTS,
                greedy.withSampling(1.0, 0, 1e-6).withSeed(6)).tokens()), "top_p 1e-6");
    }

    /**
     * With eos set to the third token greedy decoding gives row 0, row 0 stops there and is filled with the pad id
     * while row 1 runs on; every row is its eos-free output cut after its first eos.
     */
    @Test
    void eosStopsARowAndPadsIt() {
        Generator generator = new Generator(load("gpt2-tiny"));
        int[][] free = generator.generate(PROMPTS, GenerationConfig.greedy(8)).tokens();
        int eos = free[0][2];
        int pad = 999;
        Generation g = generator.generate(PROMPTS, GenerationConfig.greedy(8).withEos(List.of(eos, 998), pad));
        assertEquals(3, g.lengths()[0]);
        for (int b = 0; b < 2; b++) {
            int stop = 0;
            while (stop < 8 && free[b][stop] != eos) {
                stop++;
            }
            int length = Math.min(stop + 1, 8);
            assertEquals(length, g.lengths()[b], "row " + b);
            for (int t = 0; t < g.tokens()[b].length; t++) {
                assertEquals(t < length ? free[b][t] : pad, g.tokens()[b][t], "row " + b + " step " + t);
                assertEquals(t < length, g.logProbs()[b][t] != 0f, "log-prob of row " + b + " step " + t);
            }
        }
        assertArrayEquals(Arrays.copyOf(free[0], 3), g.completion(0));

        Generation alone = generator.generate(new int[][] {PROMPTS[0]}, GenerationConfig.greedy(8)
                .withEos(List.of(eos), null));
        assertArrayEquals(new int[] {free[0][0], free[0][1], eos}, alone.tokens()[0], "stops when every row has");
    }

    @Test
    void generationConfigReadsTransformersFields() throws Exception {
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree("{\"eos_token_id\": [2, 7], \"pad_token_id\": 0,"
                + " \"do_sample\": true, \"temperature\": 0.6, \"top_k\": 0, \"top_p\": 0.95, \"max_new_tokens\": 3,"
                + " \"bos_token_id\": 1, \"transformers_version\": \"5.17.0\"}");
        GenerationConfig c = GenerationConfig.fromJson(json, "g.json");
        assertEquals(new GenerationConfig(3, true, 0.6, 0, 0.95, List.of(2, 7), 0, 0), c);
        assertEquals(0, c.fillTokenId());
        GenerationConfig defaults = GenerationConfig.fromJson(new ObjectMapper().createObjectNode().put("eos_token_id",
                4), "g.json");
        assertEquals(new GenerationConfig(20, false, 1.0, 50, 1.0, List.of(4), null, 0), defaults);
        assertEquals(4, defaults.fillTokenId(), "pad falls back to the first eos");
        ModelException bad = assertThrows(ModelException.class, () -> GenerationConfig.fromJson(
                (ObjectNode) new ObjectMapper().readTree("{\"top_p\": 1.5}"), "g.json"));
        assertEquals("g.json: top_p must be in [0, 1], got 1.5", bad.getMessage());
        assertThrows(ModelException.class, () -> GenerationConfig.fromJson(
                (ObjectNode) new ObjectMapper().readTree("{\"eos_token_id\": [\"x\"]}"), "g.json"));
        assertThrows(IllegalArgumentException.class, () -> GenerationConfig.greedy(0));
        assertThrows(IllegalArgumentException.class, () -> GenerationConfig.greedy(1).withSampling(0, 50, 1));
    }

    /** transformers' RepetitionPenaltyLogitsProcessor: seen tokens' positive logits divided, negative multiplied. */
    @Test
    void repetitionPenaltyLowersTheTokensAlreadySeen() {
        float[] logits = {2f, -1f, 0.5f, 0f};
        GenerationConfig greedy = new GenerationConfig(4, false, 1.0, 50, 1.0, List.of(), null, 0, 2.0, 1);
        assertEquals(0, new TokenSampler(greedy).next(logits, 0, 4, new int[] {0, 1, 0}, 3, null),
                "2 / 2 = 1 still beats 0.5");
        GenerationConfig strong = new GenerationConfig(4, false, 1.0, 50, 1.0, List.of(), null, 0, 5.0, 1);
        assertEquals(2, new TokenSampler(strong).next(logits, 0, 4, new int[] {0, 1, 0}, 3, null),
                "2 / 5 = 0.4 falls below 0.5; a seen token counts once");
        assertEquals(0, new TokenSampler(strong).next(logits, 0, 4, new int[] {1, 9}, 1, null),
                "only the first seenLength tokens count");
        Generator generator = new Generator(load("llama-tiny"));
        Generation plain = generator.generate(PROMPTS, GenerationConfig.greedy(12));
        Generation penalised = generator.generate(PROMPTS, new GenerationConfig(12, false, 1.0, 50, 1.0, List.of(),
                null, 0, 1e6, 1));
        for (int row = 0; row < PROMPTS.length; row++) {
            int[] tokens = penalised.tokens()[row];
            assertEquals(tokens.length, Arrays.stream(tokens).distinct().count(), "a huge penalty never repeats");
        }
        assertFalse(Arrays.deepEquals(plain.tokens(), penalised.tokens()));
        assertThrows(IllegalArgumentException.class, () -> new GenerationConfig(4, false, 1.0, 50, 1.0, List.of(),
                null, 0, 0.0, 1));
    }

    /** num_return_sequences n: n sampled rows per prompt, in prompt order, as if each prompt were given n times. */
    @Test
    void numReturnSequencesRepeatsEachPromptInPlace() {
        Generator generator = new Generator(load("qwen2-tiny"));
        GenerationConfig three = new GenerationConfig(6, true, 1.0, 0, 1.0, List.of(), null, 5, 1.0, 3);
        Generation rows = generator.generate(PROMPTS, three);
        assertEquals(3 * PROMPTS.length, rows.tokens().length);
        int[][] repeated = new int[3 * PROMPTS.length][];
        for (int i = 0; i < repeated.length; i++) {
            repeated[i] = PROMPTS[i / 3];
        }
        Generation explicit = generator.generate(repeated, new GenerationConfig(6, true, 1.0, 0, 1.0, List.of(), null,
                5));
        assertTrue(Arrays.deepEquals(explicit.tokens(), rows.tokens()));
        IllegalArgumentException greedy = assertThrows(IllegalArgumentException.class, () -> new GenerationConfig(6,
                false, 1.0, 0, 1.0, List.of(), null, 5, 1.0, 3));
        assertTrue(greedy.getMessage().startsWith("num_return_sequences 3 needs do_sample"), greedy.getMessage());
    }

    @Test
    void badPromptsAreRejected() {
        Generator generator = new Generator(load("llama-tiny"));
        GenerationConfig config = GenerationConfig.greedy(2);
        IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                () -> generator.generate(new int[][] {{1, 2}, {3, 1000}}, config));
        assertEquals("prompt 1 has token id 1000 outside the vocabulary [0, 1000)", outside.getMessage());
        assertThrows(IllegalArgumentException.class, () -> generator.generate(new int[][] {{1}, {}}, config));
        assertThrows(IllegalArgumentException.class, () -> generator.generate(new int[0][], config));
    }
}
