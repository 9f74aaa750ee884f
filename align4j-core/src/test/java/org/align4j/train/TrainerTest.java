package org.align4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The shared training loop on the llama-tiny fixture with a plain next-token task on random token rows. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrainerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int VOCAB = 1000;
    private static final List<int[]> DATA = TokenLanguageModelTask.randomRows(16, 12, VOCAB, 7);

    @TempDir
    static Path root;
    /** A 6-step run, checkpoints every 3 steps, kept for the tests that inspect its output. */
    private Path uninterrupted;
    private TokenLanguageModelTask uninterruptedTask;
    private TrainerState uninterruptedState;

    private static TrainingArguments args(Path outputDir, Map<String, ?> options) {
        Map<String, Object> all = new HashMap<>();
        all.put("output_dir", outputDir.toString());
        all.put("disable_tqdm", true);
        all.put("learning_rate", 3e-3);
        all.put("per_device_train_batch_size", 4);
        all.put("logging_steps", 1);
        all.put("save_strategy", "no");
        all.put("plot_loss", false);
        all.putAll(options);
        return TrainingArguments.defaults().withOptions(all);
    }

    /** The resumable run: 2 x 2 per step, warmup, decay, 6 steps crossing an epoch boundary. */
    private static TrainingArguments resumableArgs(Path outputDir) {
        return args(outputDir, Map.of("per_device_train_batch_size", 2, "gradient_accumulation_steps", 2,
                "max_steps", 6, "save_strategy", "steps", "save_steps", 3, "warmup_steps", 2, "weight_decay", 0.01, "plot_loss", true));
    }

    private static List<Map<String, Object>> trainingLogs(TrainerState state) {
        return state.logHistory().stream().filter(e -> e.containsKey("loss")).toList();
    }

    private static double number(Map<String, Object> entry, String key) {
        return ((Number) entry.get(key)).doubleValue();
    }

    private static Set<String> listing(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private double uninterruptedTrainLoss;

    @BeforeAll
    void trainUninterrupted() throws Throwable {
        uninterrupted = root.resolve("uninterrupted");
        uninterruptedTask = TokenLanguageModelTask.llamaTiny();
        Trainer<int[]> trainer = new Trainer<>(resumableArgs(uninterrupted), uninterruptedTask, DATA, List.of());
        uninterruptedTrainLoss = trainer.train().trainingLoss();
        uninterruptedState = trainer.state();
    }

    @Test
    void lossDecreases() throws IOException {
        Trainer<int[]> trainer = new Trainer<>(args(root.resolve("decrease"), Map.of("max_steps", 12,
                "lr_scheduler_type", "constant")), TokenLanguageModelTask.llamaTiny(), DATA.subList(0, 8), List.of());
        TrainOutput out = trainer.train();
        List<Map<String, Object>> logs = trainingLogs(trainer.state());
        assertEquals(12, logs.size());
        double first = number(logs.getFirst(), "loss");
        double last = number(logs.getLast(), "loss");
        assertTrue(first > 6.5, "random tokens start near ln(1000) = 6.9: " + first);
        assertTrue(last < first - 1.0, "loss " + first + " -> " + last);
        assertEquals(12, out.globalStep());
        assertEquals(6.0, number(logs.getLast(), "epoch"), 1e-12);
    }

    @Test
    void callbacksSeeEveryStepAfterTheUpdate() throws IOException {
        TokenLanguageModelTask task = TokenLanguageModelTask.llamaTiny();
        List<Long> steps = new java.util.ArrayList<>();
        List<Double> weightSums = new java.util.ArrayList<>();
        new Trainer<>(args(root.resolve("callback"), Map.of("max_steps", 3)), task, DATA, List.of())
                .addCallback(state -> {
                    steps.add(state.globalStep());
                    double sum = 0;
                    for (var v : task.trainableParameters().values()) {
                        for (int i = 0; i < v.value().size(); i++) {
                            sum += v.value().get(i);
                        }
                    }
                    weightSums.add(sum);
                    assertEquals(3, state.maxSteps());
                }).train();
        assertEquals(List.of(1L, 2L, 3L), steps);
        assertTrue(!weightSums.get(0).equals(weightSums.get(1)) && !weightSums.get(1).equals(weightSums.get(2)),
                "the callback runs after each update: " + weightSums);
    }

    @Test
    void gradientAccumulationMatchesTheLargerBatch() throws IOException {
        Trainer<int[]> whole = new Trainer<>(args(root.resolve("batch4"), Map.of("max_steps", 4)),
                TokenLanguageModelTask.llamaTiny(), DATA, List.of());
        whole.train();
        Trainer<int[]> accumulated = new Trainer<>(args(root.resolve("batch2x2"), Map.of("max_steps", 4,
                "per_device_train_batch_size", 2, "gradient_accumulation_steps", 2)),
                TokenLanguageModelTask.llamaTiny(), DATA, List.of());
        accumulated.train();
        List<Map<String, Object>> a = trainingLogs(whole.state());
        List<Map<String, Object>> b = trainingLogs(accumulated.state());
        assertEquals(4, a.size());
        assertEquals(4, b.size());
        for (int i = 0; i < 4; i++) {
            assertEquals(number(a.get(i), "loss"), number(b.get(i), "loss"), 1e-5, "loss at step " + (i + 1));
            assertEquals(number(a.get(i), "grad_norm"), number(b.get(i), "grad_norm"),
                    1e-4 * number(a.get(i), "grad_norm"), "grad_norm at step " + (i + 1));
            assertEquals(number(a.get(i), "mean_token_accuracy"), number(b.get(i), "mean_token_accuracy"), 1e-12);
            assertEquals(number(a.get(i), "num_tokens"), number(b.get(i), "num_tokens"));
            assertEquals(number(a.get(i), "epoch"), number(b.get(i), "epoch"), 1e-12);
        }
    }

    @Test
    void gradientCheckpointingReachesTheTaskAndTrainsBitForBitAsWithout() throws IOException {
        List<TokenLanguageModelTask> tasks = new ArrayList<>();
        List<List<Boolean>> checkpointing = new ArrayList<>();
        List<List<Map<String, Object>>> logs = new ArrayList<>();
        for (boolean enabled : new boolean[] {false, true}) {
            List<Boolean> seen = new ArrayList<>();
            TokenLanguageModelTask task = new TokenLanguageModelTask(TokenLanguageModelTask.llamaTiny().model) {
                @Override
                public TaskOutput loss(Tape tape, List<int[]> batch) {
                    if (tape.isRecording()) {
                        seen.add(tape.gradientCheckpointing());
                    }
                    return super.loss(tape, batch);
                }
            };
            Trainer<int[]> trainer = new Trainer<>(args(root.resolve("checkpointing-" + enabled), Map.of("max_steps",
                    3, "gradient_checkpointing", enabled)), task, DATA, List.of());
            trainer.train();
            tasks.add(task);
            checkpointing.add(seen);
            logs.add(trainingLogs(trainer.state()));
        }
        assertEquals(List.of(false, false, false), checkpointing.get(0));
        assertEquals(List.of(true, true, true), checkpointing.get(1));
        for (int i = 0; i < 3; i++) {
            for (String key : List.of("loss", "grad_norm")) {
                assertEquals(number(logs.get(0).get(i), key), number(logs.get(1).get(i), key), key + " " + (i + 1));
            }
        }
        tasks.get(0).model.parameters().forEach((name, v) -> assertArrayEquals(v.value().data(),
                tasks.get(1).model.parameters().get(name).value().data(), name));
    }

    @Test
    void resumedRunLogsExactlyWhatTheUninterruptedRunLogged() throws Throwable {
        Path killed = root.resolve("killed");
        int[] calls = {0};
        TokenLanguageModelTask dying = new TokenLanguageModelTask(TokenLanguageModelTask.llamaTiny().model) {
            @Override
            public TaskOutput loss(Tape tape, List<int[]> batch) {
                if (++calls[0] == 7) { // the first micro-batch of step 4, after checkpoint-3 was written
                    throw new IllegalStateException("killed");
                }
                return super.loss(tape, batch);
            }
        };
        assertThrows(IllegalStateException.class,
                () -> new Trainer<>(resumableArgs(killed), dying, DATA, List.of()).train());
        assertEquals(Set.of("checkpoint-3", "metrics.jsonl", "training_args.json"), listing(killed));

        TokenLanguageModelTask fresh = TokenLanguageModelTask.llamaTiny();
        Trainer<int[]> resumed = new Trainer<>(resumableArgs(killed).withOptions(Map.of("resume_from_checkpoint",
                "latest")), fresh, DATA, List.of());
        TrainOutput out = resumed.train();
        assertEquals(6, out.globalStep());
        assertEquals(uninterruptedTrainLoss, out.trainingLoss(), 1e-12,
                "train_loss averages every step of the run, not only the resumed ones");

        List<Map<String, Object>> expected = trainingLogs(uninterruptedState);
        List<Map<String, Object>> actual = trainingLogs(resumed.state());
        assertEquals(6, expected.size());
        assertEquals(6, actual.size());
        for (int i = 0; i < 6; i++) {
            for (String key : List.of("loss", "grad_norm", "learning_rate", "mean_token_accuracy", "num_tokens",
                    "epoch", "step")) {
                assertEquals(number(expected.get(i), key), number(actual.get(i), key), 1e-6,
                        key + " at step " + (i + 1));
            }
        }
        for (Map.Entry<String, Var> e : uninterruptedTask.model.parameters().entrySet()) {
            assertArrayEquals(e.getValue().value().data(), fresh.model.parameters().get(e.getKey()).value().data(),
                    1e-6f, e.getKey());
        }
        assertEquals(resumed.state().logHistory().size(), Files.readAllLines(killed.resolve("metrics.jsonl")).size());
    }

    @Test
    void checkpointsHoldEverythingNeededToResume() throws IOException {
        assertEquals(Set.of("checkpoint-3", "checkpoint-6", "config.json", "generation_config.json", "metrics.jsonl",
                "model.safetensors", "report.html", "trainer_state.json", "training_args.json", "training_loss.png"),
                listing(uninterrupted));
        assertEquals(Set.of("config.json", "generation_config.json", "model.safetensors", "optimizer.safetensors",
                "rng_state.json", "scheduler.json", "trainer_state.json", "training_args.json"),
                listing(uninterrupted.resolve("checkpoint-3")));
        try (Stream<Path> all = Files.walk(uninterrupted)) {
            List<Path> leftovers = all.filter(p -> p.getFileName().toString().endsWith(".tmp")
                    || p.getFileName().toString().endsWith(".old")).toList();
            assertEquals(List.of(), leftovers);
        }
        JsonNode scheduler = JSON.readTree(uninterrupted.resolve("checkpoint-3/scheduler.json").toFile());
        assertEquals(3, scheduler.get("last_epoch").asInt());
        assertEquals(6, scheduler.get("num_training_steps").asInt());
        JsonNode rng = JSON.readTree(uninterrupted.resolve("checkpoint-3/rng_state.json").toFile());
        assertEquals(0, rng.at("/sampler/epoch").asInt()); // 8 micro-batches per epoch, 6 consumed
        assertEquals(6, rng.at("/sampler/micro_batches_consumed").asInt());
        JsonNode args = JSON.readTree(uninterrupted.resolve("checkpoint-3/training_args.json").toFile());
        assertEquals(2, args.get("gradient_accumulation_steps").asInt());
    }

    @Test
    void trainerStateAndMetricsUseHuggingFaceNames() throws IOException {
        JsonNode state = JSON.readTree(uninterrupted.resolve("trainer_state.json").toFile());
        assertEquals(6, state.get("global_step").asInt());
        assertEquals(6, state.get("max_steps").asInt());
        assertEquals(1, state.get("logging_steps").asInt());
        assertEquals(3, state.get("save_steps").asInt());
        assertEquals(2, state.get("num_train_epochs").asInt());
        assertEquals(2, state.get("train_batch_size").asInt());
        assertEquals(1.5, state.get("epoch").asDouble(), 1e-12); // 12 of 8 micro-batches per epoch
        assertEquals(6 * 4 * 12, state.get("num_input_tokens_seen").asInt());
        assertTrue(state.get("best_metric").isNull());
        JsonNode history = state.get("log_history");
        assertEquals(7, history.size()); // 6 logs and the training summary
        JsonNode first = history.get(0);
        assertEquals(List.of("loss", "grad_norm", "learning_rate", "mean_token_accuracy", "num_tokens",
                "tokens_per_second", "epoch", "step"), iterableNames(first));
        assertTrue(first.get("tokens_per_second").asDouble() > 0);
        assertEquals(1, first.get("step").asInt());
        assertEquals(1.5e-3, first.get("learning_rate").asDouble(), 1e-15); // warmup 1/2 after step 1
        assertEquals(0.25, first.get("epoch").asDouble(), 1e-12);
        JsonNode summary = history.get(6);
        assertTrue(summary.has("train_runtime") && summary.has("train_loss") && summary.has("train_samples_per_second"));
        assertEquals(6, summary.get("step").asInt());
        JsonNode checkpointState = JSON.readTree(uninterrupted.resolve("checkpoint-3/trainer_state.json").toFile());
        assertEquals(3, checkpointState.get("global_step").asInt());
        assertEquals(3, checkpointState.get("log_history").size());

        List<String> lines = Files.readAllLines(uninterrupted.resolve("metrics.jsonl"));
        assertEquals(7, lines.size());
        for (int i = 0; i < lines.size(); i++) {
            assertEquals(history.get(i), JSON.readTree(lines.get(i)), "metrics.jsonl line " + (i + 1));
        }
    }

    private static List<String> iterableNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void lossCurveIsAPng() throws IOException {
        Path png = uninterrupted.resolve("training_loss.png");
        byte[] bytes = Files.readAllBytes(png);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(bytes, 8));
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image);
        assertEquals(800, image.getWidth());
        assertEquals(500, image.getHeight());
    }

    @Test
    void nonFiniteLossNamesTheStepAndTheExamples() {
        int[] calls = {0};
        TokenLanguageModelTask poisoned = new TokenLanguageModelTask(TokenLanguageModelTask.llamaTiny().model) {
            @Override
            public TaskOutput loss(Tape tape, List<int[]> batch) {
                TaskOutput out = super.loss(tape, batch);
                return ++calls[0] < 3 ? out : TaskOutput.of(Var.constant(Tensor.of(new float[] {Float.NaN}, 1)), 0);
            }
        };
        NonFiniteLossException e = assertThrows(NonFiniteLossException.class, () -> new Trainer<>(
                args(root.resolve("nan"), Map.of("max_steps", 5)), poisoned, DATA, List.of()).train());
        EpochSampler sampler = new EpochSampler(16, 4, false, 42);
        int[] examples = sampler.microBatch(sampler.permutation(0), 2);
        assertEquals("non-finite loss NaN at step 3 (examples " + Arrays.stream(examples)
                .mapToObj(Integer::toString).collect(Collectors.joining(", ")) + ")", e.getMessage());
        assertEquals(3, e.step());
        assertArrayEquals(examples, e.examples());
        assertEquals("non-finite loss Infinity at step 12 (examples 96..103)", new NonFiniteLossException("loss",
                Double.POSITIVE_INFINITY, 12, new int[] {96, 97, 98, 99, 100, 101, 102, 103}).getMessage());
    }

    @Test
    void rotationKeepsTheNewestAndTheBestCheckpoint() throws IOException {
        Path out = root.resolve("rotation");
        Trainer<int[]> trainer = new Trainer<>(args(out, Map.of("max_steps", 5, "save_strategy", "steps",
                "save_steps", 1, "save_total_limit", 2, "eval_strategy", "steps", "eval_steps", 1,
                "metric_for_best_model", "loss", "greater_is_better", true)), TokenLanguageModelTask.llamaTiny(),
                DATA, TokenLanguageModelTask.randomRows(6, 12, VOCAB, 99));
        trainer.train();
        List<Map<String, Object>> evals = trainer.state().logHistory().stream()
                .filter(e -> e.containsKey("eval_loss")).toList();
        assertEquals(5, evals.size());
        Map<String, Object> worst = evals.stream()
                .max((x, y) -> Double.compare(number(x, "eval_loss"), number(y, "eval_loss"))).orElseThrow();
        long bestStep = (long) number(worst, "step");
        assertTrue(worst.containsKey("eval_mean_token_accuracy") && worst.containsKey("eval_runtime"));
        assertEquals(number(worst, "eval_loss"), trainer.state().bestMetric());
        assertEquals(out.resolve("checkpoint-" + bestStep).toString(), trainer.state().bestModelCheckpoint());
        Set<String> expected = new TreeSet<>(Set.of("checkpoint-" + bestStep, "checkpoint-5"));
        if (bestStep == 5) {
            expected.add("checkpoint-4");
        }
        Set<String> checkpoints = listing(out).stream().filter(n -> n.startsWith("checkpoint-"))
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(expected, checkpoints);
    }

    /** load_best_model_at_end ends with the best checkpoint's weights, as HF's trainer loads them back. */
    @Test
    void loadBestModelAtEndSavesTheBestCheckpointsWeights() throws IOException {
        Path out = root.resolve("load-best");
        // greater_is_better on the loss makes the best checkpoint one of the early ones, not the last
        Trainer<int[]> trainer = new Trainer<>(args(out, Map.of("max_steps", 4, "save_strategy", "steps",
                "save_steps", 1, "eval_strategy", "steps", "eval_steps", 1, "load_best_model_at_end", true,
                "greater_is_better", true, "learning_rate", 1e-2)), TokenLanguageModelTask.llamaTiny(), DATA,
                TokenLanguageModelTask.randomRows(6, 12, VOCAB, 99));
        trainer.train();
        Path best = Path.of(trainer.state().bestModelCheckpoint());
        assertFalse(best.endsWith("checkpoint-4"), "the best checkpoint is an early one: " + best);
        assertEquals(-1, Files.mismatch(best.resolve("model.safetensors"), out.resolve("model.safetensors")),
                "the final model is the best checkpoint's");
        assertEquals("loss", args(out, Map.of("load_best_model_at_end", true, "eval_strategy", "steps",
                "save_strategy", "steps"))
                .metricForBestModel(), "HF's default metric for the best model");
        IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class, () -> args(out, Map.of(
                "load_best_model_at_end", true, "eval_strategy", "epoch", "save_strategy", "steps")));
        assertTrue(mismatch.getMessage().contains("load_best_model_at_end needs eval_strategy and save_strategy to"
                + " match"), mismatch.getMessage());
    }

    @Test
    void reportToTensorBoardWritesAnEventFileUnderRunsAsHfDoes() throws IOException {
        Path out = root.resolve("tensorboard");
        new Trainer<>(args(out, Map.of("max_steps", 2, "report_to", "tensorboard")), TokenLanguageModelTask.llamaTiny(),
                DATA, List.of()).train();
        List<Path> files;
        try (var walk = Files.walk(out.resolve("runs"))) {
            files = walk.filter(f -> f.getFileName().toString().startsWith("events.out.tfevents.")).toList();
        }
        assertEquals(1, files.size(), files.toString());
        // the file-version record, two logged steps and the summary entry
        assertTrue(Files.size(files.getFirst()) > 200, "scalars were written");
        assertEquals("report_to: unknown integration 'tensorbored' (here: none, tensorboard or all)",
                assertThrows(IllegalArgumentException.class, () -> args(out, Map.of("report_to", "tensorbored")))
                        .getMessage().replaceFirst("^options: ", ""));
        assertTrue(args(out, Map.of("report_to", List.of("wandb"))).warnings().getFirst()
                .startsWith("report_to: wandb is not available here"));
    }

    /** neftune_noise_alpha changes the training losses, and a run with it is reproducible. */
    @Test
    void neftuneNoiseReachesTheTrainingForwards() throws IOException {
        List<Double> plain = losses(root.resolve("neftune-off"), Map.of("max_steps", 2));
        List<Double> noisy = losses(root.resolve("neftune-on"), Map.of("max_steps", 2, "neftune_noise_alpha", 50.0));
        List<Double> again = losses(root.resolve("neftune-again"), Map.of("max_steps", 2, "neftune_noise_alpha", 50.0));
        assertNotEquals(plain, noisy);
        assertEquals(noisy, again);
    }

    private static List<Double> losses(Path out, Map<String, ?> options) throws IOException {
        Trainer<int[]> trainer = new Trainer<>(args(out, options), TokenLanguageModelTask.llamaTiny(), DATA, List.of());
        trainer.train();
        return trainingLogs(trainer.state()).stream().map(e -> number(e, "loss")).toList();
    }

    @Test
    void loggingStrategyChoosesWhenTheTrainingWindowIsLogged() throws IOException {
        Trainer<int[]> epochs = new Trainer<>(args(root.resolve("log-epoch"), Map.of("num_train_epochs", 2,
                "logging_strategy", "epoch", "logging_steps", 1)), TokenLanguageModelTask.llamaTiny(),
                DATA.subList(0, 8), List.of());
        epochs.train();
        assertEquals(List.of(2.0, 4.0), trainingLogs(epochs.state()).stream().map(e -> number(e, "step")).toList());
        Trainer<int[]> none = new Trainer<>(args(root.resolve("log-no"), Map.of("max_steps", 3, "logging_strategy",
                "no", "logging_steps", 1)), TokenLanguageModelTask.llamaTiny(), DATA, List.of());
        none.train();
        assertEquals(List.of(), trainingLogs(none.state()));
    }

    @Test
    void epochStrategiesActAtEpochEnds() throws IOException {
        Path out = root.resolve("epochs");
        Trainer<int[]> trainer = new Trainer<>(args(out, Map.of("num_train_epochs", 2, "save_strategy", "epoch",
                "eval_strategy", "epoch", "logging_steps", 100)), TokenLanguageModelTask.llamaTiny(),
                DATA.subList(0, 8), DATA.subList(8, 12));
        trainer.train();
        assertEquals(4, trainer.state().maxSteps());
        List<Long> evalSteps = trainer.state().logHistory().stream().filter(e -> e.containsKey("eval_loss"))
                .map(e -> (long) number(e, "step")).toList();
        assertEquals(List.of(2L, 4L), evalSteps);
        assertTrue(Files.isDirectory(out.resolve("checkpoint-2")) && Files.isDirectory(out.resolve("checkpoint-4")));
        assertFalse(trainer.state().logHistory().stream().anyMatch(e -> e.containsKey("loss")));
    }

    @Test
    void resumingWithoutACheckpointSaysWhere() {
        Path out = root.resolve("empty");
        Trainer<int[]> trainer = new Trainer<>(args(out, Map.of("max_steps", 2, "resume_from_checkpoint", true)),
                TokenLanguageModelTask.llamaTiny(), DATA, List.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, trainer::train);
        assertEquals("resume_from_checkpoint: no checkpoint-N folder in " + out, e.getMessage());
    }

    /** A run killed while writing its first checkpoint leaves only checkpoint-N.tmp: resuming starts from scratch. */
    @Test
    void resumingARunKilledInItsFirstCheckpointStartsFromScratch() throws IOException {
        Path out = root.resolve("killed-in-first-checkpoint");
        Files.createDirectories(out.resolve("checkpoint-2.tmp"));
        Files.writeString(out.resolve("checkpoint-2.tmp").resolve("model.safetensors"), "half written");
        Trainer<int[]> trainer = new Trainer<>(args(out, Map.of("max_steps", 2, "resume_from_checkpoint", true)),
                TokenLanguageModelTask.llamaTiny(), DATA, List.of());
        assertEquals(2, trainer.train().globalStep());
        assertFalse(Files.exists(out.resolve("checkpoint-2.tmp")), "the leftover is gone");
        assertEquals(2, trainingLogs(trainer.state()).size(), "every step ran");
    }
}
