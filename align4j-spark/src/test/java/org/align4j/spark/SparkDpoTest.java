package org.align4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.align4j.InputException;
import org.align4j.align.dpo.AdapterDisabledReference;
import org.align4j.align.dpo.DpoLossConfig;
import org.align4j.align.dpo.DpoTask;
import org.align4j.autograd.Tape;
import org.align4j.data.Example;
import org.align4j.data.PreferencePair;
import org.align4j.data.PreferenceTokenization;
import org.align4j.data.TruncationMode;
import org.align4j.model.HfModelWriter;
import org.align4j.model.HfModels;
import org.align4j.model.ModelConfig;
import org.align4j.model.ModelException;
import org.align4j.model.Models;
import org.align4j.model.io.Dtype;
import org.align4j.nn.LoraConfig;
import org.align4j.nn.LoraModel;
import org.align4j.train.TaskOutput;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel LoRA DPO on a local[2] Spark session: the summed gradient, loss and metrics of a batch against one
 * JVM's.
 */
class SparkDpoTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PAIRS = 7;

    @TempDir
    static Path dir;
    static JavaSparkContext spark;
    /** A random 2-layer Llama (vocabulary 64, width 16) saved in float32. */
    static Path model;
    /** Seven pre-tokenized pairs of different prompt and completion lengths. */
    static List<PreferencePair> pairs;

    @BeforeAll
    static void fixtures() throws IOException {
        spark = JavaSparkContext.fromSparkContext(SparkSessions.session("local[2]", "SparkDpoTest").sparkContext());
        ModelConfig config = ModelConfig.fromJson((ObjectNode) JSON.readTree("{\"model_type\":\"llama\","
                + "\"vocab_size\":64,\"hidden_size\":16,\"intermediate_size\":32,\"num_hidden_layers\":2,"
                + "\"num_attention_heads\":2,\"num_key_value_heads\":1,\"head_dim\":8,\"max_position_embeddings\":64,"
                + "\"initializer_range\":0.2,\"tie_word_embeddings\":false}"), "test");
        model = dir.resolve("model");
        HfModels.save(Models.randomInit(config, 1), model, Dtype.F32, null, 0);
        SplittableRandom rng = new SplittableRandom(7);
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < PAIRS; i++) {
            int[] prompt = rng.ints(2 + i % 4, 1, 64).toArray();
            int[] chosen = rng.ints(1 + i % 3, 1, 64).toArray();
            int[] rejected = rng.ints(2 + (i * 2) % 5, 1, 64).toArray();
            examples.add(new Example.TokenizedPreference("pair " + i, prompt, chosen, rejected));
        }
        pairs = new PreferenceTokenization(null, 1024, TruncationMode.KEEP_START).tokenizeAll(examples).pairs();
    }

    /**
     * The loss, metrics and adapter gradient of a batch summed over 2 and 3 shards (with and without gradient
     * checkpointing on the executors) are one JVM's, for loss options that travel to the executors.
     */
    @Test
    void theShardsSumToTheGradientLossAndMetricsOfTheWholeBatch() {
        LoraModel policy = LoraModel.create(HfModels.loadFrozen(model, Dtype.F32, null),
                LoraConfig.of(4, 8, null), 3);
        SplittableRandom rng = new SplittableRandom(5);
        policy.parameters().values().forEach(v -> {
            float[] w = v.value().data();
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (0.1 * rng.nextGaussian());
            }
        });
        DpoLossConfig loss = DpoLossConfig.defaults().withOptions(Map.of("beta", 0.3, "loss_type",
                List.of("sigmoid", "ipo"), "loss_weights", List.of(1.0, 0.5), "ld_alpha", 0.5));
        DpoTask local = new DpoTask(policy, new AdapterDisabledReference(policy), loss, 0, null,
                new HfModelWriter(null, null));
        Tape tape = Tape.recording();
        TaskOutput expected = local.loss(tape, pairs);
        tape.backward(expected.loss());
        Map<String, float[]> expectedGradients = gradients(policy);
        double largest = expectedGradients.values().stream().mapToDouble(SparkDpoTest::maxAbs).max().orElseThrow();
        assertTrue(largest > 0.1 && largest < 4, "gradients of order 1, so that 1e-6 is a few float32 ulps: "
                + largest);

        for (int shards : new int[] {2, 3}) {
            DataParallelDpoTask task = new DataParallelDpoTask(local, model, Dtype.F32, spark, shards);
            Tape recording = Tape.recording(shards == 2);
            TaskOutput out = task.loss(recording, pairs);
            recording.backward(out.loss());
            Map<String, float[]> actual = gradients(policy);
            double worst = 0;
            for (String name : expectedGradients.keySet()) {
                float[] e = expectedGradients.get(name);
                float[] a = actual.get(name);
                for (int i = 0; i < e.length; i++) {
                    worst = Math.max(worst, Math.abs(e[i] - a[i]));
                }
            }
            assertTrue(worst <= 1e-6, shards + " shards: max abs gradient difference " + worst);
            assertEquals(expected.lossValue(), out.lossValue(), 1e-6, shards + " shards: loss");
            assertEquals(expected.tokens(), out.tokens());
            assertEquals(expected.metrics().keySet(), out.metrics().keySet());
            expected.metrics().forEach((name, value) ->
                    assertEquals(value, out.metrics().get(name), 1e-6, shards + " shards: " + name));
        }

        ModelException unreadable = assertThrows(ModelException.class, () -> new DataParallelDpoTask(local,
                dir.resolve("nowhere"), Dtype.F32, spark, 2).loss(Tape.recording(), pairs));
        assertTrue(unreadable.getMessage().contains("nowhere: no such model directory"), unreadable.getMessage());
        InputException sft = assertThrows(InputException.class, () -> new DataParallelDpoTask(new DpoTask(policy,
                new AdapterDisabledReference(policy), DpoLossConfig.defaults().withOptions(Map.of("loss_type",
                List.of("sigmoid", "sft"))), 0, null, new HfModelWriter(null, null)), model, Dtype.F32, spark, 2));
        assertTrue(sft.getMessage().startsWith("loss_type [sft] is not a mean over pairs"), sft.getMessage());
    }

    /** The adapters' gradients, copied, then zeroed. */
    private static Map<String, float[]> gradients(LoraModel policy) {
        Map<String, float[]> out = new LinkedHashMap<>();
        policy.parameters().forEach((name, v) -> {
            out.put(name, v.grad().data().clone());
            v.zeroGrad();
        });
        return out;
    }

    private static double maxAbs(float[] values) {
        double max = 0;
        for (float v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }
}
