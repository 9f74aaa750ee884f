package org.align4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.IntSupplier;
import java.util.stream.Stream;
import org.align4j.InputException;
import org.align4j.align.dpo.AdapterDisabledReference;
import org.align4j.align.dpo.DpoLossConfig;
import org.align4j.align.dpo.DpoTask;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.cli.Main;
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
 * JVM's, and {@code align4j-spark dpo} end to end (resume, the local run's adapter, bad input).
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
    static Path data;
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
        List<String> lines = new ArrayList<>();
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < PAIRS; i++) {
            int[] prompt = rng.ints(2 + i % 4, 1, 64).toArray();
            int[] chosen = rng.ints(1 + i % 3, 1, 64).toArray();
            int[] rejected = rng.ints(2 + (i * 2) % 5, 1, 64).toArray();
            lines.add(JSON.writeValueAsString(Map.of("prompt_ids", prompt, "chosen_ids", chosen, "rejected_ids",
                    rejected)));
            examples.add(new Example.TokenizedPreference("pair " + i, prompt, chosen, rejected));
        }
        data = Files.write(dir.resolve("pairs.jsonl"), lines);
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

    /**
     * Four steps on 2 shards with a checkpoint at step 2: a run resumed from it ends with the uninterrupted run's
     * adapter, bit for bit; both end with the adapter of {@code align4j dpo --use-peft} to float rounding, in a run
     * folder holding the same files.
     */
    @Test
    void aResumedRunEndsWithTheUninterruptedOnesAdapterAndTheLocalRunsAdapter() throws IOException {
        List<String> common = List.of("dpo", "--model", model.toString(), "--data", data.toString(),
                "--learning-rate", "5e-2", "--max-steps", "4", "--per-device-train-batch-size", "4", "--save-steps",
                "2", "--logging-steps", "1", "--use-peft", "--lora-r", "4", "--lora-alpha", "8",
                "--lora-target-modules", "all-linear", "--disable-tqdm");
        Path whole = dir.resolve("whole");
        Path resumed = dir.resolve("resumed");
        Path local = dir.resolve("local");
        Run first = sparkDpo(common, "--output", whole.toString());
        assertEquals(0, first.exitCode(), first.err());
        Run resume = sparkDpo(common, "--output", resumed.toString(), "--resume-from-checkpoint",
                whole.resolve("checkpoint-2").toString());
        assertEquals(0, resume.exitCode(), resume.err());
        List<String> localArgs = new ArrayList<>(common);
        localArgs.addAll(List.of("--output", local.toString()));
        Run localRun = capture(() -> Main.run(localArgs.toArray(String[]::new)));
        assertEquals(0, localRun.exitCode(), localRun.err());

        assertEquals(-1, Files.mismatch(whole.resolve(LoraModel.WEIGHTS_FILE), resumed.resolve(LoraModel.WEIGHTS_FILE)),
                "a resumed run ends with the uninterrupted run's adapter");
        Map<String, Var> distributed = LoraModel.load(HfModels.loadFrozen(model, Dtype.F32, null), whole, 0)
                .parameters();
        Map<String, Var> single = LoraModel.load(HfModels.loadFrozen(model, Dtype.F32, null), local, 0)
                .parameters();
        double worst = 0;
        double largestB = 0;
        for (String name : single.keySet()) {
            float[] e = single.get(name).value().data();
            float[] a = distributed.get(name).value().data();
            for (int i = 0; i < e.length; i++) {
                worst = Math.max(worst, Math.abs(e[i] - a[i]));
            }
            largestB = name.contains("lora_B") ? Math.max(largestB, maxAbs(a)) : largestB;
        }
        assertTrue(largestB > 1e-2, "the adapters trained (B starts at zero): " + largestB);
        assertTrue(worst <= 1e-5, "max abs difference from the local run's adapter " + worst);
        assertEquals(files(local), files(whole), "the same run folder as align4j dpo");
    }

    /** Bad input is one line and exit code 2, before any Spark job. */
    @Test
    void badInputIsOneLineAndExitCode2() {
        Run missing = sparkDpo(List.of("dpo", "--model", model.toString(), "--data", dir.resolve("none.jsonl")
                .toString(), "--output", dir.resolve("bad").toString(), "--use-peft"));
        assertEquals(Main.EXIT_BAD_INPUT, missing.exitCode());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        assertTrue(missing.err().startsWith("align4j-spark dpo: ") && missing.err().contains("none.jsonl"),
                missing.err());
        Run withoutPeft = sparkDpo(List.of("dpo", "--model", model.toString(), "--data", data.toString(),
                "--output", dir.resolve("no-peft").toString()));
        assertEquals(Main.EXIT_BAD_INPUT, withoutPeft.exitCode());
        assertEquals("align4j-spark dpo: data-parallel DPO trains LoRA adapters: add --use-peft",
                withoutPeft.err().strip());
    }

    /** Exit code and standard error of one command line run in this JVM. */
    private record Run(int exitCode, String err) {
    }

    /** {@code align4j-spark} with {@code args} and {@code more}, on the test's session, 2 shards. */
    private static Run sparkDpo(List<String> args, String... more) {
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of(more));
        all.addAll(List.of("--spark-master", "local[2]", "--num-shards", "2"));
        return capture(() -> SparkMain.run(all.toArray(String[]::new)));
    }

    /** Runs {@code command} with standard output and error captured (the metric lines would fill the test log). */
    private static Run capture(IntSupplier command) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            return new Run(command.getAsInt(), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** The paths of the files and folders under {@code run}, relative to it. */
    private static Set<String> files(Path run) throws IOException {
        try (Stream<Path> walk = Files.walk(run)) {
            return walk.map(p -> run.relativize(p).toString()).collect(TreeSet::new, Set::add, Set::addAll);
        }
    }
}
