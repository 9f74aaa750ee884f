package org.align4j.align.dpo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.align4j.OutputFile;
import org.align4j.data.Example;
import org.align4j.data.JsonlDataset;
import org.align4j.data.Message;
import org.align4j.data.Text;
import org.align4j.model.CausalLM;
import org.align4j.model.GenerationConfig;
import org.align4j.model.Generator;
import org.align4j.model.HfModelWriter;
import org.align4j.model.HfModels;
import org.align4j.model.Models;
import org.align4j.model.io.AtomicDirectory;
import org.align4j.model.io.Dtype;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.CheckpointFolders;

/**
 * Rounds of DPO on preference pairs a policy generates for itself, each round training π_{k+1} from π_k against a
 * frozen copy of π_k: the loop of DICE (Chen et al. 2025, "Bootstrapping Language Models with DPO Implicit Rewards",
 * Algorithm 1) and of the panel builder's AI-feedback rounds, which differ only in how they rank the samples.
 *
 * <p>Round k writes under {@code output/round_k/} one folder per stage, each atomically ({@link AtomicDirectory}); a
 * stage whose folder exists is skipped, so a stopped run started again with the same arguments goes on where it
 * stopped. The stages before DPO are the loop's ({@link Round#prepare}); they end with the DPO data in
 * {@value #TRAIN_FILE}. The DPO stage trains in {@code <dpo>.run/} (resumed from its latest checkpoint when one
 * exists), renamed to {@code <dpo>/} when training ends; a round whose DPO folder exists is not redone, its model is
 * loaded into the policy. After the DPO stage the loop reads the round's result ({@link Round#finish}) and rewrites its
 * summary ({@link Round#summarise}).
 */
public final class DpoRounds {
    /** The DPO data of a round, relative to its folder: TRL preference lines. */
    public static final String TRAIN_FILE = "train_data/train.jsonl";
    /** Writes the stats and summary files, indented. */
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Writes JSONL rows, one line each. */
    public static final ObjectMapper LINES = new ObjectMapper();

    private final DpoConfig dpo;
    private final Tokenizer tokenizer;
    private final HfModelWriter modelFiles;
    private final Dtype frozenStorage;

    /**
     * The stages of a round, in order; each writes the folder of its name under {@code round_k}. A loop writes
     * {@link #SAMPLES} to {@link #TRAIN_DATA} ({@link Round#prepare}), then {@link #DPO}, then optionally
     * {@link #EVAL} ({@link Round#finish}).
     */
    public enum Stage {
        SAMPLES("samples"), SCORES("scores"), PAIRS("pairs"), TRAIN_DATA("train_data"), DPO("dpo"), EVAL("eval");

        private final String folder;

        Stage(String folder) {
            this.folder = folder;
        }

        /** The stage's folder under {@code round_k}. */
        public String folder() {
            return folder;
        }
    }

    /** The stages every round writes up to its DPO model, in order. */
    public static final List<Stage> TRAINING_STAGES = List.of(Stage.SAMPLES, Stage.SCORES, Stage.PAIRS,
            Stage.TRAIN_DATA, Stage.DPO);

    /** Hears of a loop's progress. */
    @FunctionalInterface
    public interface Listener {
        /** Stage {@code stage} of round {@code round} has finished, or was skipped because its folder existed. */
        void stage(int round, Stage stage, boolean skipped);
    }

    /** What a loop does in a round besides DPO. */
    public interface Round<R> {
        /**
         * Writes the round's stages before DPO, the last of them {@value #TRAIN_FILE}.
         *
         * @param previous π_{k-1} frozen (the loop's first reference in round 1)
         * @return null, or why the round cannot train (one line naming the round): the run stops there
         */
        String prepare(int round, Path directory, CausalLM previous) throws IOException;

        /** The round's result, read from its files once the policy holds π_{k+1}; later stages run here. */
        R finish(int round, Path directory) throws IOException;

        /** Rewrites the loop's summary: the rounds done so far and why the run stopped (null when it did not). */
        void summarise(List<R> rounds, String stopped) throws IOException;
    }

    /**
     * The rounds a run completed and why it stopped before the planned rounds (null when it ran them all).
     *
     * @param rounds  the completed rounds, in order
     * @param stopped the reason of an early stop, or null
     */
    public record Run<R>(List<R> rounds, String stopped) {
        /** Copies the list. */
        public Run {
            rounds = List.copyOf(rounds);
        }
    }

    /**
     * Rounds whose DPO runs as {@code dpo} says ({@code output_dir} replaced by the round's folder).
     *
     * @param tokenizer     tokenizes the DPO data; null only for pre-tokenized pairs
     * @param modelFiles    how the DPO models are written (generation config, tokenizer files)
     * @param frozenStorage how the frozen copies store their weight matrices, float32 or bfloat16
     *                      ({@link ModelReference#frozenCopyOf(CausalLM, Dtype)})
     */
    public DpoRounds(DpoConfig dpo, Tokenizer tokenizer, HfModelWriter modelFiles, Dtype frozenStorage) {
        Models.checkFrozenStorage(frozenStorage);
        this.dpo = dpo;
        this.tokenizer = tokenizer;
        this.modelFiles = modelFiles;
        this.frozenStorage = frozenStorage;
    }

    /** The folder of round {@code round} under {@code outputDir}. */
    public static Path roundDirectory(Path outputDir, int round) {
        return outputDir.resolve("round_" + round);
    }

    /**
     * Runs rounds 1 to {@code rounds}, skipping what exists.
     *
     * @param policy    π_1, trained in place round after round
     * @param reference what {@link Round#prepare} gets as the previous policy in round 1 (null when the loop does
     *                  not use it)
     */
    public <R> Run<R> run(CausalLM policy, CausalLM reference, int rounds, Path outputDir, Listener listener,
                          Round<R> round) throws IOException {
        Files.createDirectories(outputDir);
        Stage dpoStage = Stage.DPO;
        List<R> done = new ArrayList<>();
        CausalLM previous = reference;
        String stopped = null;
        for (int k = 1; k <= rounds && stopped == null; k++) {
            Path dir = roundDirectory(outputDir, k);
            Path model = dir.resolve(dpoStage.folder());
            CausalLM frozen = ModelReference.frozenCopyOf(policy, frozenStorage).model();
            if (Files.isDirectory(model)) {
                for (Stage stage : TRAINING_STAGES) {
                    listener.stage(k, stage, true);
                }
                HfModels.loadWeights(policy, model);
            } else {
                stopped = round.prepare(k, dir, previous);
                if (stopped == null) {
                    train(dir, model, policy, frozen);
                    listener.stage(k, dpoStage, false);
                }
            }
            if (stopped == null) {
                previous = frozen;
                done.add(round.finish(k, dir));
            }
            round.summarise(done, stopped);
        }
        return new Run<>(done, stopped);
    }

    /**
     * DPO from π_k (the policy, trained in place) with the frozen copy as reference on {@value #TRAIN_FILE}, in
     * {@code <model>.run/} (resumed from its latest checkpoint when one exists), renamed to {@code model} at the end.
     */
    private void train(Path dir, Path model, CausalLM policy, CausalLM frozenPolicy) throws IOException {
        Path run = model.resolveSibling(model.getFileName() + ".run");
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("output_dir", run.toString());
        if (Files.isDirectory(run) && CheckpointFolders.latest(run) != null) {
            options.put("resume_from_checkpoint", "latest");
        }
        List<Example> train = JsonlDataset.read(dir.resolve(TRAIN_FILE));
        new DpoTrainer(policy, frozenPolicy, dpo.withOptions(options), train, List.of(), tokenizer, modelFiles).train();
        Files.move(run, model, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Writes stage {@code stage}'s folder atomically with {@code contents}, or skips it when it exists. */
    public static void stage(int round, Path roundDirectory, Stage stage, Listener listener,
                             AtomicDirectory.Contents contents) throws IOException {
        Path target = roundDirectory.resolve(stage.folder());
        if (Files.isDirectory(target)) {
            listener.stage(round, stage, true);
            return;
        }
        AtomicDirectory.write(target, contents);
        listener.stage(round, stage, false);
    }

    /**
     * K samples of every prompt from {@code policy}: one generation batch of K copies per prompt, seeded by the
     * prompt's seed of {@link #promptSeeds} ({@link #sample(Generator, int[], int, GenerationConfig, long)}), so that a
     * prompt's samples do not depend on which other prompts are sampled with it or where.
     *
     * @return per prompt, the K generated id rows (a final eos included when the row ended)
     */
    public static List<int[][]> sample(CausalLM policy, List<int[]> prompts, int k, GenerationConfig generation) {
        Generator generator = new Generator(policy);
        long[] seeds = promptSeeds(generation.seed(), prompts.size());
        List<int[][]> samples = new ArrayList<>(prompts.size());
        for (int p = 0; p < prompts.size(); p++) {
            samples.add(sample(generator, prompts.get(p), k, generation, seeds[p]));
        }
        return samples;
    }

    /** The sampling seeds of {@code n} prompts: the first n values of a stream split from {@code seed}, in order. */
    public static long[] promptSeeds(long seed, int n) {
        SplittableRandom seeds = new SplittableRandom(seed);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = seeds.nextLong();
        }
        return out;
    }

    /** K samples of one prompt: one generation batch of K copies, sampled as {@code generation} says with {@code seed}. */
    public static int[][] sample(Generator generator, int[] prompt, int k, GenerationConfig generation, long seed) {
        int[][] copies = new int[k][];
        Arrays.fill(copies, prompt);
        var out = generator.generate(copies, generation.withSeed(seed));
        int[][] rows = new int[k][];
        for (int s = 0; s < k; s++) {
            rows[s] = out.completion(s);
        }
        return rows;
    }

    /**
     * A generated preference pair as a TRL line: the prompt, and each response as the completion of the prompt (a
     * string, or one assistant message after a conversation).
     */
    public static ObjectNode preferenceRow(Text prompt, String chosen, String rejected) {
        ObjectNode row = LINES.createObjectNode();
        row.set("prompt", textJson(prompt));
        row.set("chosen", completionJson(prompt, chosen));
        row.set("rejected", completionJson(prompt, rejected));
        return row;
    }

    private static JsonNode completionJson(Text prompt, String response) {
        return prompt instanceof Text.Conversation ? textJson(new Text.Conversation(List.of(new Message("assistant",
                response)))) : LINES.getNodeFactory().textNode(response);
    }

    /** A text as TRL writes it: a string, or a message list. */
    public static JsonNode textJson(Text text) {
        return switch (text) {
            case Text.Plain p -> LINES.getNodeFactory().textNode(p.text());
            case Text.Conversation c -> LINES.valueToTree(c.messages());
        };
    }

    /** Writes {@code rows} (JSON nodes or ready lines) to {@code file}, one per line. */
    public static void writeLines(Path file, List<?> rows) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Object row : rows) {
                w.write(row instanceof String s ? s : LINES.writeValueAsString(row));
                w.write('\n');
            }
        }
    }

    /** The JSON object lines of a stage file. */
    public static List<ObjectNode> readLines(Path file) {
        return JsonlDataset.readLines(file, JsonlDataset::object);
    }

    /**
     * The head of a summary: {@code rounds_planned}, then {@code stopped} when the run stopped early; the loop adds
     * its options and its {@code rounds}.
     */
    public static ObjectNode summary(int roundsPlanned, String stopped) {
        ObjectNode summary = JSON.createObjectNode();
        summary.put("rounds_planned", roundsPlanned);
        if (stopped != null) {
            summary.put("stopped", stopped);
        }
        return summary;
    }

    /** Writes a summary whole ({@link OutputFile}: a temporary file renamed into place). */
    public static void writeSummary(Path file, ObjectNode summary) throws IOException {
        OutputFile.writeString(file, JSON.writeValueAsString(summary));
    }
}
