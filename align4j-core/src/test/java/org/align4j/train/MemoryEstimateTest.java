package org.align4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.ModelConfig;
import org.align4j.model.ModelInput;
import org.align4j.model.Models;
import org.align4j.model.Presets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link MemoryEstimate}: its parts, its scaling, and its activation count against a measured forward pass. */
class MemoryEstimateTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MIB = 1024 * 1024;

    /** Training arguments with the given options (per_device_train_batch_size 1 unless given). */
    private static TrainingArguments args(Object... keysAndValues) {
        java.util.Map<String, Object> options = new java.util.HashMap<>();
        options.put("per_device_train_batch_size", 1);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            options.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return TrainingArguments.defaults().withOptions(options);
    }

    @Test
    void countsGpt2SmallAsPublished() {
        assertEquals(124_439_808L, Models.parameterCount(Presets.config("gpt2", "124M")));
    }

    @Test
    void weightsGradientsAdamWAndReferenceScaleWithTheParameters() {
        ModelConfig config = Presets.config("gpt2", "124M");
        long n = Models.parameterCount(config);
        MemoryEstimate full = MemoryEstimate.training(config, args(), n, true, 4, 4, 512);
        assertEquals(4 * n, full.weightBytes());
        assertEquals(12 * n, full.trainingStateBytes());
        assertEquals(4 * n, full.referenceBytes());
        assertEquals(full.weightBytes() + full.trainingStateBytes() + full.referenceBytes() + full.activationBytes(),
                full.totalBytes());

        MemoryEstimate adapters = MemoryEstimate.training(config, args(), 1000, false, 4, 4, 512);
        assertEquals(12_000, adapters.trainingStateBytes());
        assertEquals(0, adapters.referenceBytes());
        assertEquals(full.activationBytes(), adapters.activationBytes());
        MemoryEstimate bf16 = MemoryEstimate.training(config, args(), 1000, true, 2, 4, 512);
        assertEquals(2 * n, bf16.weightBytes(), "a frozen bfloat16 base under adapters");
        assertEquals(2 * n, bf16.referenceBytes());
        MemoryEstimate fullBf16Reference = MemoryEstimate.training(config, args(), n, true, 2, 4, 512);
        assertEquals(4 * n, fullBf16Reference.weightBytes(), "trained weights stay float32");
        assertEquals(2 * n, fullBf16Reference.referenceBytes());

        assertEquals(8 * n, MemoryEstimate.training(config, args("optim", Sgd.NAME), n, false, 4, 4, 512)
                .trainingStateBytes());
        MemoryEstimate mezo = MemoryEstimate.training(config, args("optim", MeZo.NAME), n, false, 4, 4, 512);
        assertEquals(0, mezo.trainingStateBytes());
        // beside the lm_head's chunk of logits (and its gradient), which every run holds
        long lmHeadChunk = 4 * 2 * MemoryEstimate.LM_HEAD_CHUNK_FLOATS;
        assertTrue(mezo.activationBytes() - lmHeadChunk < (full.activationBytes() - lmHeadChunk) / 10,
                mezo.describe());
        MemoryEstimate checkpointed = MemoryEstimate.training(config, args("gradient_checkpointing", true), n, true, 4,
                4, 512);
        assertEquals(full.trainingStateBytes(), checkpointed.trainingStateBytes());
        assertTrue(checkpointed.activationBytes() - lmHeadChunk < (full.activationBytes() - lmHeadChunk) / 3,
                checkpointed.describe());
    }

    @Test
    void activationsAreLinearInBatchAndSequence() {
        ModelConfig config = Presets.config("qwen2", "0.5B");
        long chunk = 4 * 2 * MemoryEstimate.LM_HEAD_CHUNK_FLOATS;
        long one = MemoryEstimate.training(config, args(), 0, false, 4, 1, 256).activationBytes() - chunk;
        assertEquals(2 * one, MemoryEstimate.training(config, args("per_device_train_batch_size", 2), 0, false, 4, 1,
                256).activationBytes() - chunk);
        assertEquals(2 * one, MemoryEstimate.training(config, args(), 0, false, 4, 2, 256).activationBytes() - chunk);
        assertEquals(4 * one, MemoryEstimate.training(config, args(), 0, false, 4, 1, 1024).activationBytes() - chunk);
    }

    @Test
    void generationHoldsTheKvCache() {
        ModelConfig config = Presets.config("qwen2", "0.5B");
        MemoryEstimate small = MemoryEstimate.generation(config, 4, 1, 1000);
        MemoryEstimate big = MemoryEstimate.generation(config, 4, 2, 1000);
        long kvBytesPerRow = 4L * 2 * 24 * 2 * 64 * 1000;
        long logitsBytesPerRow = 4L * 2 * 151936;
        assertEquals(kvBytesPerRow + 4L * 1000 * MemoryEstimate.activationFloatsPerToken(config) + logitsBytesPerRow,
                big.activationBytes() - small.activationBytes());
        assertEquals(0, big.trainingStateBytes());
    }

    @Test
    void describesEachPart() {
        MemoryEstimate e = new MemoryEstimate(512 * MIB, 1536 * MIB, 0, 300 * MIB);
        assertEquals("about 2.3 GiB (weights 512 MiB, gradients and optimizer state 1.5 GiB, activations 300 MiB)",
                e.describe());
    }

    private static final String LLAMA = "{\"model_type\":\"llama\",\"vocab_size\":64,\"hidden_size\":128,"
            + "\"intermediate_size\":344,\"num_hidden_layers\":4,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
            + "\"max_position_embeddings\":1024}";

    /**
     * The per-token count of {@link MemoryEstimate#activationFloatsPerToken} against the heap a recorded forward pass
     * actually keeps: measured after full collections, with the tape (and so every activation) still reachable; with
     * gradient checkpointing, the blocks' outputs alone. The heap is shared with whatever else the test JVM runs, so
     * a measurement is taken up to three times and the closest one counts; an estimate that is off fails all three.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen3", "gpt2"})
    void perTokenCountMatchesWhatARecordedForwardKeeps(String modelType) {
        String json = switch (modelType) {
            case "qwen3" -> LLAMA.replace("llama", "qwen3").replace("}", ",\"head_dim\":32}");
            case "gpt2" -> "{\"model_type\":\"gpt2\",\"vocab_size\":64,\"n_embd\":128,\"n_layer\":4,\"n_head\":4,"
                    + "\"n_positions\":1024}";
            default -> LLAMA;
        };
        ModelConfig config = config(json);
        CausalLM model = Models.randomInit(config, 1);
        int batch = 2;
        int seq = 1024;
        int[][] mask = new int[batch][seq];
        for (int[] row : mask) {
            Arrays.fill(row, 1);
        }
        ModelInput input = ModelInput.of(new int[batch][seq], mask);
        long outside = (config.isGpt2() ? 4L : 2L) * config.hiddenSize();
        long estimated = 4L * batch * seq
                * (MemoryEstimate.activationFloatsPerToken(config) * config.numLayers() + outside);
        assertWithin(0.04, estimated, () -> keptByForward(model, input, false), config.modelType() + ": the forward");
        long blockOutputs = 4L * batch * seq * (config.hiddenSize() * config.numLayers() + outside);
        assertWithin(0.1, blockOutputs, () -> keptByForward(model, input, true),
                config.modelType() + ": the checkpointed forward");
    }

    /** The heap a forward pass on a recording tape keeps reachable, in bytes. */
    private static long keptByForward(CausalLM model, ModelInput input, boolean gradientCheckpointing) {
        long before = retainedHeap();
        Tape tape = Tape.recording(gradientCheckpointing);
        Var hidden = model.hiddenStates(tape, input);
        long kept = retainedHeap() - before;
        assertTrue(tape.isRecording() && tape.gradientCheckpointing() == gradientCheckpointing
                && hidden.value().size() > 0);
        return kept;
    }

    private static void assertWithin(double tolerance, long estimated, java.util.function.LongSupplier measure,
                                     String what) {
        java.util.List<Long> measured = new java.util.ArrayList<>();
        for (int attempt = 0; attempt < 3; attempt++) {
            long kept = measure.getAsLong();
            measured.add(kept / 1024);
            if (Math.abs(kept - estimated) < tolerance * estimated) {
                return;
            }
        }
        throw new AssertionError(what + " kept " + measured + " KiB, the estimate is " + estimated / 1024 + " KiB");
    }

    private static ModelConfig config(String json) {
        try {
            return ModelConfig.fromJson((ObjectNode) JSON.readTree(json), "test");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long retainedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }
}
