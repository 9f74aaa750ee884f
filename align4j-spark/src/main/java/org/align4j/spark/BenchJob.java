package org.align4j.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.align4j.InputException;
import org.align4j.align.dice.DicePrompt;
import org.align4j.align.dice.DiceRollouts;
import org.align4j.cli.Main;
import org.align4j.data.JsonlDataset;
import org.align4j.model.CausalLM;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.GenerationConfig;
import org.align4j.model.HfModels;
import org.align4j.model.ModelConfig;
import org.align4j.model.Models;
import org.align4j.model.Presets;
import org.align4j.model.io.Dtype;
import org.align4j.tokenizer.Tokenizer;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j-spark bench}: what Spark costs and buys on one machine (a benchmark, not a test). Times {@code score}
 * and {@code generate} on the embedded model (random weights) in this JVM ({@code align4j score}; DICE's local
 * sampling) and as the Spark jobs on {@code local[1]} and {@code local[2]}, then LoRA DPO steps on a random-init GPT-2
 * preset as {@code align4j dpo --use-peft} and as {@code align4j-spark dpo} on {@code local[1]} with one shard (Spark's
 * overhead alone: broadcast, task, aggregation) and on {@code local[2]} with two. Every run is done once to warm up,
 * then timed; DPO steps are timed by the trainer ({@code train_runtime} over its steps, after a warm-up run). One line
 * per run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time score, generate and LoRA DPO steps: one JVM against Spark local[1] and local[2].")
final class BenchJob implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--pairs", defaultValue = "64", description = "pairs scored (default ${DEFAULT-VALUE})")
    int pairs;
    @Option(names = "--prompts", defaultValue = "16", description = "prompts sampled (default ${DEFAULT-VALUE})")
    int prompts;
    @Option(names = "--num-generations", defaultValue = "4", description = "samples per prompt (default ${DEFAULT-VALUE})")
    int numGenerations;
    @Option(names = "--max-new-tokens", defaultValue = "32", description = "sample length (default ${DEFAULT-VALUE})")
    int maxNewTokens;
    @Option(names = "--preset", defaultValue = "124M", description = "GPT-2 preset of the DPO steps (default ${DEFAULT-VALUE})")
    String preset;
    @Option(names = "--dpo-steps", defaultValue = "3", description = "timed DPO steps per run (default ${DEFAULT-VALUE})")
    int dpoSteps;
    @Option(names = "--dpo-batch", defaultValue = "2", description = "pairs per DPO step (default ${DEFAULT-VALUE})")
    int dpoBatch;
    @Option(names = "--seq", defaultValue = "128", description = "tokens per DPO sequence (default ${DEFAULT-VALUE})")
    int seq;
    @Option(names = "--work-dir", required = true, description = "scratch folder (models, data and outputs go here)")
    Path work;

    @Override
    public Integer call() throws IOException {
        Files.createDirectories(work);
        Path model = work.resolve("embedded");
        if (!Files.isDirectory(model)) {
            HfModels.save(EmbeddedModel.randomInit(1), model, Dtype.F32, EmbeddedModel.generationConfig(), 0);
            EmbeddedModel.writeTokenizer(model);
        }
        List<String> pairLines = new ArrayList<>();
        for (int i = 0; i < pairs; i++) {
            pairLines.add("{\"prompt\": \"The old house on the hill " + i + " had\", \"chosen\": \" a garden full of"
                    + " roses and a dog that slept by the door all day long\", \"rejected\": \" nothing in it but"
                    + " dust, and the rain came in through the roof every winter\"}");
        }
        List<String> promptLines = new ArrayList<>();
        for (int i = 0; i < prompts; i++) {
            promptLines.add("{\"prompt\": \"Chapter " + i + ". The old house on the hill\"}");
        }
        Path pairFile = Files.write(work.resolve("pairs.jsonl"), pairLines);
        Path promptFile = Files.write(work.resolve("prompts.jsonl"), promptLines);
        Tokenizer tokenizer = Tokenizer.load(model);
        List<DicePrompt> dicePrompts = DicePrompt.of(JsonlDataset.read(promptFile), tokenizer);
        CausalLM policy = HfModels.load(model);
        GenerationConfig defaults = GenerationConfig.load(model, policy.config());
        GenerationConfig generation = new GenerationConfig(maxNewTokens, true, 1.0, 0, 1.0, defaults.eosTokenIds(),
                defaults.padTokenId(), 0, defaults.repetitionPenalty(), 1);
        long sampled = (long) prompts * numGenerations * maxNewTokens;
        time("score", "one JVM", pairs, "pairs", n -> Main.run("score", "--model", model.toString(), "--data",
                pairFile.toString(), "--out", work.resolve("score-" + n + ".jsonl").toString()));
        time("generate", "one JVM", sampled, "tokens at most", n -> {
            DiceRollouts.local(tokenizer).sample(new DiceRollouts.RoundModels(policy, model, policy, model),
                    dicePrompts, numGenerations, generation);
            return 0;
        });
        for (String master : new String[] {"local[1]", "local[2]"}) {
            SparkSession spark = SparkSessions.session(master, "align4j bench");
            try {
                time("score", master, pairs, "pairs", n -> SparkMain.run("score", "--spark-master", master,
                        "--model", model.toString(), "--data", pairFile.toString(), "--out",
                        work.resolve("score-" + master + "-" + n).toString()));
                time("generate", master, sampled, "tokens at most", n -> SparkMain.run("generate", "--spark-master",
                        master, "--model", model.toString(), "--data", promptFile.toString(), "--num-generations",
                        String.valueOf(numGenerations), "--max-new-tokens", String.valueOf(maxNewTokens), "--seed",
                        "0", "--out", work.resolve("generate-" + master + "-" + n).toString()));
            } finally {
                spark.stop();
            }
        }
        dpoSteps();
        return 0;
    }

    /** LoRA DPO steps on the preset: one JVM, then Spark with one shard and with two. */
    private void dpoSteps() throws IOException {
        Path gpt2 = work.resolve("gpt2-" + preset);
        ModelConfig config = Presets.config("gpt2", preset);
        if (!Files.isDirectory(gpt2)) {
            HfModels.save(Models.randomInit(config, 1), gpt2, Dtype.F32, null, 0);
        }
        SplittableRandom random = new SplittableRandom(2);
        List<String> lines = new ArrayList<>();
        int half = seq / 2;
        for (int i = 0; i < 2 * dpoBatch; i++) {
            lines.add("{\"prompt_ids\": " + ids(random, half, config.vocabSize()) + ", \"chosen_ids\": "
                    + ids(random, seq - half, config.vocabSize()) + ", \"rejected_ids\": "
                    + ids(random, seq - half, config.vocabSize()) + "}");
        }
        Path data = Files.write(work.resolve("dpo.jsonl"), lines);
        double local = dpo("one JVM", "local", (n, name) -> Main.run(dpoArgs(gpt2, data, n, name, null)));
        for (String master : new String[] {"local[1]", "local[2]"}) {
            String shards = master.equals("local[1]") ? "1" : "2";
            SparkSession spark = SparkSessions.session(master, "align4j bench");
            try {
                double seconds = dpo(master + ", " + shards + " shard(s)", master + "-" + shards, (n, name) ->
                        SparkMain.run(dpoArgs(gpt2, data, n, name, new String[] {"--spark-master", master,
                                "--num-shards", shards})));
                System.out.printf(Locale.ROOT, "dpo step %-22s %+.3f s against one JVM (%.2fx)%n", master + ", "
                        + shards + " shard(s)", seconds - local, seconds / local);
            } finally {
                spark.stop();
            }
        }
    }

    private Path dpoFolder(String name, int steps) {
        return work.resolve("dpo-" + name + "-" + steps);
    }

    private String[] dpoArgs(Path model, Path data, int steps, String name, String[] spark) {
        List<String> args = new ArrayList<>(List.of("dpo", "--model", model.toString(), "--data", data.toString(),
                "--output", dpoFolder(name, steps).toString(), "--use-peft", "--lora-dropout", "0",
                "--max-steps", String.valueOf(steps), "--per-device-train-batch-size", String.valueOf(dpoBatch),
                "--save-strategy", "no", "--logging-steps", "1", "--disable-tqdm"));
        if (spark != null) {
            args.addAll(List.of(spark));
        }
        return args.toArray(String[]::new);
    }

    private static String ids(SplittableRandom random, int n, int vocab) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ", ").append(random.nextInt(vocab));
        }
        return b.append(']').toString();
    }

    private interface Run {
        int run(int attempt) throws IOException;
    }

    /** A DPO run of {@code steps} steps into the folder named {@code name}. */
    private interface DpoRun {
        int run(int steps, String name) throws IOException;
    }

    /**
     * Runs once to warm up, then times a run; prints and returns the seconds per DPO step from train_runtime. The
     * runs write to {@link #dpoFolder}({@code name}, steps).
     */
    private double dpo(String where, String name, DpoRun run) throws IOException {
        check(run.run(1, name), "dpo");
        check(run.run(dpoSteps, name), "dpo");
        Path folder = dpoFolder(name, dpoSteps);
        double runtime = Double.NaN;
        for (String line : Files.readAllLines(folder.resolve("metrics.jsonl"))) {
            JsonNode row = JSON.readTree(line);
            if (row.has("train_runtime")) {
                runtime = row.get("train_runtime").asDouble();
            }
        }
        double perStep = runtime / dpoSteps;
        System.out.printf(Locale.ROOT, "dpo step %-22s %8.3f s  %8.0f tokens/s%n", where, perStep,
                2.0 * dpoBatch * seq / perStep);
        return perStep;
    }

    private void time(String what, String where, long units, String unit, Run run) throws IOException {
        check(run.run(0), what);
        long started = System.nanoTime();
        check(run.run(1), what);
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf(Locale.ROOT, "%-8s %-10s %8.2f s  %10.1f %s/s%n", what, where, seconds, units / seconds,
                unit);
    }

    private static void check(int code, String what) {
        if (code != 0) {
            throw new InputException(what + " exited with " + code);
        }
    }
}
