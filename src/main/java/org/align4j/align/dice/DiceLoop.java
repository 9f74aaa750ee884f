package org.align4j.align.dice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
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
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.align4j.InputException;
import org.align4j.align.dpo.DpoConfig;
import org.align4j.align.dpo.DpoLossConfig;
import org.align4j.align.dpo.DpoTrainer;
import org.align4j.align.dpo.ModelReference;
import org.align4j.align.dpo.PreferenceScorer;
import org.align4j.data.DataException;
import org.align4j.data.Example;
import org.align4j.data.JsonlDataset;
import org.align4j.data.Message;
import org.align4j.data.PreferenceTokenization;
import org.align4j.data.Text;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.CausalLM;
import org.align4j.model.Generation;
import org.align4j.model.GenerationConfig;
import org.align4j.model.Generator;
import org.align4j.model.HfModelWriter;
import org.align4j.model.HfModels;
import org.align4j.model.Models;
import org.align4j.model.io.Dtype;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.model.io.AtomicDirectory;
import org.align4j.train.CheckpointFolders;

/**
 * DICE, self-alignment with DPO implicit rewards (Chen et al. 2025, "Bootstrapping Language Models with DPO Implicit
 * Rewards", ICLR 2025, Algorithm 1). Starting from a DPO policy π_1 and its reference π_ref, round k:
 * <ol>
 *   <li>{@link Stage#SAMPLES}: samples K responses per prompt from π_k ({@link Generator}); a response without an eos
 *       within {@code max_new_tokens} is kept in the file but never used;</li>
 *   <li>{@link Stage#SCORES}: scores each ended response with its implicit reward s = log π_k(y|x) − log π_ref(y|x)
 *       (summed log-probabilities, {@link PreferenceScorer#scoreSequences}, the {@code score} command's path);</li>
 *   <li>{@link Stage#PAIRS}: builds one pair per prompt with the length-regularised reward r = s − α |y|, α from the
 *       sweep ({@link LengthRegularization});</li>
 *   <li>{@link Stage#TRAIN_DATA}: mixes the generated pairs with offline pairs at ratio γ ({@link ExperienceReplay});</li>
 *   <li>{@link Stage#DPO}: trains π_{k+1} from π_k with DPO ({@link DpoTrainer}) on the mix, the reference being a
 *       frozen copy of π_k; round k + 1 scores with π_{k+1} against π_k.</li>
 * </ol>
 * Everything goes under {@code output/round_k/<stage>/}: {@code samples.jsonl}, {@code scores.jsonl},
 * {@code pairs.jsonl} (TRL preference format with the scores, rewards and lengths of both responses) and
 * {@code stats.json} (α, the sweep, mean lengths before and after regularisation), {@code train.jsonl} and
 * {@code mix.json}, and the DPO run folder (the model, checkpoints, metrics). Each stage's folder is written
 * atomically ({@link AtomicDirectory}; DPO trains in {@code dpo.run/}, resuming from its latest checkpoint, and that
 * folder is renamed to {@code dpo/} when training ends), and a run skips the stages whose folder exists: a stopped run
 * started again with the same arguments goes on where it stopped. A round whose {@code dpo/} exists is not redone:
 * its model is loaded as π_{k+1}. {@value #SUMMARY_FILE} lists the rounds.
 *
 * <p>The policy passed to {@link #run} is trained in place: after the run it holds the last round's model.
 */
public final class DiceLoop {
    /** The file listing the rounds. */
    public static final String SUMMARY_FILE = "dice_summary.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper LINES = new ObjectMapper();

    private final DiceConfig config;
    private final Tokenizer tokenizer;
    private final HfModelWriter writer;
    private final Dtype frozenStorage;

    /** The stages of a round, in order; each writes the folder of its name. */
    public enum Stage {
        SAMPLES("samples"), SCORES("scores"), PAIRS("pairs"), TRAIN_DATA("train_data"), DPO("dpo");

        private final String folder;

        Stage(String folder) {
            this.folder = folder;
        }

        /** The stage's folder under {@code round_k}. */
        public String folder() {
            return folder;
        }
    }

    /** Hears of the run's progress. */
    @FunctionalInterface
    public interface Listener {
        /** Stage {@code stage} of round {@code round} has finished, or was skipped because its folder existed. */
        void stage(int round, Stage stage, boolean skipped);
    }

    /**
     * A loop.
     *
     * @param tokenizer decodes responses and tokenizes the DPO data; null only for pre-tokenized prompts and offline
     *                  pairs with lengths in tokens
     * @param writer    how the DPO models are written (generation config, tokenizer files)
     */
    public DiceLoop(DiceConfig config, Tokenizer tokenizer, HfModelWriter writer) {
        this(config, tokenizer, writer, Dtype.F32);
    }

    /**
     * A loop whose frozen copies of the policy (each round's reference for the next) store their weight matrices in
     * {@code frozenStorage}, float32 or bfloat16 ({@link ModelReference#frozenCopyOf(CausalLM, Dtype)}).
     */
    public DiceLoop(DiceConfig config, Tokenizer tokenizer, HfModelWriter writer, Dtype frozenStorage) {
        Models.checkFrozenStorage(frozenStorage);
        if (tokenizer == null && config.lengthUnit() == DiceConfig.LengthUnit.CHARS) {
            throw new InputException("lengths in characters need a tokenizer to decode the responses; "
                    + "use length unit tokens");
        }
        this.config = config;
        this.tokenizer = tokenizer;
        this.writer = writer;
        this.frozenStorage = frozenStorage;
    }

    /** The folder of round {@code round} under {@code outputDir}. */
    public static Path roundDirectory(Path outputDir, int round) {
        return outputDir.resolve("round_" + round);
    }

    /**
     * Runs every round (skipping what exists) and writes {@value #SUMMARY_FILE}.
     *
     * @param policy    π_1, trained in place round after round
     * @param reference π_ref, the reference of π_1's DPO, scoring round 1
     * @param prompts   the prompts responses are sampled for
     * @param offline   the offline preference pairs for experience replay ({@link Example.Preference} or
     *                  {@link Example.TokenizedPreference}); empty: every generated pair is trained on
     * @return the rounds completed, in order, and why the run stopped early if it did
     * @throws IOException when a stage's files cannot be written
     */
    public DiceRun run(CausalLM policy, CausalLM reference, List<DicePrompt> prompts, List<Example> offline,
                       Path outputDir, Listener listener) throws IOException {
        if (prompts.isEmpty()) {
            throw new InputException("DICE needs at least one prompt");
        }
        List<ObjectNode> offlinePairs = new ArrayList<>(offline.size());
        for (Example e : offline) {
            offlinePairs.add(preferenceJson(e));
        }
        Files.createDirectories(outputDir);
        List<DiceRound> rounds = new ArrayList<>();
        CausalLM ref = reference;
        String stopped = null;
        for (int round = 1; round <= config.rounds() && stopped == null; round++) {
            Path dir = roundDirectory(outputDir, round);
            Path model = dir.resolve(Stage.DPO.folder());
            CausalLM frozen = ModelReference.frozenCopyOf(policy, frozenStorage).model();
            if (Files.isDirectory(model)) {
                for (Stage stage : Stage.values()) {
                    listener.stage(round, stage, true);
                }
                HfModels.loadWeights(policy, model);
            } else {
                stopped = runRound(round, dir, policy, ref, frozen, prompts, offlinePairs, listener);
            }
            if (stopped == null) {
                ref = frozen;
                rounds.add(readRound(round, dir));
            }
            writeSummary(outputDir, rounds, stopped);
        }
        return new DiceRun(rounds, stopped);
    }

    /** Runs a round's stages; returns why the round cannot train (no pair to train on), or null once it trained. */
    private String runRound(int round, Path dir, CausalLM policy, CausalLM reference, CausalLM frozenPolicy,
                          List<DicePrompt> prompts, List<ObjectNode> offline, Listener listener) throws IOException {
        stage(round, dir, Stage.SAMPLES, listener, out -> writeLines(out.resolve("samples.jsonl"),
                sample(policy, prompts, config.generation(round)).stream().map(DiceLoop::sampleJson).toList()));
        stage(round, dir, Stage.SCORES, listener, out -> writeLines(out.resolve("scores.jsonl"),
                score(policy, reference, prompts, readSamples(dir.resolve("samples/samples.jsonl"))).stream()
                        .map(DiceLoop::sampleJson).toList()));
        stage(round, dir, Stage.PAIRS, listener, out -> writePairs(out, prompts,
                readSamples(dir.resolve("scores/scores.jsonl"))));
        List<ObjectNode> generated = readPairs(dir.resolve("pairs"));
        if (ExperienceReplay.counts(offline.size(), generated.size(), config.gamma()).generated() == 0) {
            JsonNode stats = JSON.readTree(dir.resolve("pairs/stats.json").toFile());
            return String.format(Locale.ROOT, "round %d: no preference pair to train on (%d generated pairs, %d "
                            + "offline; %d of %d samples ended within %d tokens, %d needed per prompt): sample more or "
                            + "longer responses", round, generated.size(), offline.size(),
                    stats.get("ended_samples").asInt(), stats.get("samples").asInt(),
                    config.generation(round).maxNewTokens(), config.minValidSamples());
        }
        stage(round, dir, Stage.TRAIN_DATA, listener, out -> writeMix(out, round, generated, offline));
        trainDpo(dir, policy, frozenPolicy);
        listener.stage(round, Stage.DPO, false);
        return null;
    }

    private static void stage(int round, Path dir, Stage stage, Listener listener, AtomicDirectory.Contents contents)
            throws IOException {
        Path target = dir.resolve(stage.folder());
        if (Files.isDirectory(target)) {
            listener.stage(round, stage, true);
            return;
        }
        AtomicDirectory.write(target, contents);
        listener.stage(round, stage, false);
    }

    /** K samples of every prompt: one generation batch of K copies per prompt, seeded in prompt order. */
    private List<DiceSample> sample(CausalLM policy, List<DicePrompt> prompts, GenerationConfig generation) {
        Generator generator = new Generator(policy);
        SplittableRandom seeds = new SplittableRandom(generation.seed());
        int k = config.samplesPerPrompt();
        List<DiceSample> samples = new ArrayList<>(prompts.size() * k);
        for (int p = 0; p < prompts.size(); p++) {
            int[][] copies = new int[k][];
            Arrays.fill(copies, prompts.get(p).ids());
            Generation out = generator.generate(copies, generation.withSeed(seeds.nextLong()));
            for (int s = 0; s < k; s++) {
                DiceSample sample = DiceSample.generated(p, s, out.completion(s), generation.eosTokenIds());
                samples.add(tokenizer == null ? sample : sample.withResponse(tokenizer.decode(sample.contentIds(),
                        true)));
            }
        }
        return samples;
    }

    /** The samples with their implicit-reward scores (ended ones; cut ones keep NaN scores). */
    private List<DiceSample> score(CausalLM policy, CausalLM reference, List<DicePrompt> prompts, List<DiceSample> samples) {
        List<DiceSample> ended = samples.stream().filter(DiceSample::ended).toList();
        List<TokenizedSequence> sequences = new ArrayList<>(ended.size());
        for (DiceSample s : ended) {
            sequences.add(sequence(prompts.get(s.prompt()), s));
        }
        int padId = config.generation().eosTokenIds().getFirst();
        PreferenceScorer scorer = new PreferenceScorer(policy, new ModelReference(reference),
                DpoLossConfig.defaults(), padId);
        List<PreferenceScorer.SequenceScore> scores = sequences.isEmpty() ? List.of()
                : scorer.scoreSequences(sequences, config.scoreBatchSize());
        List<DiceSample> scored = new ArrayList<>(samples.size());
        int next = 0;
        for (DiceSample s : samples) {
            if (s.ended()) {
                PreferenceScorer.SequenceScore score = scores.get(next++);
                scored.add(s.withScores(score.policyLogps(), score.refLogps()));
            } else {
                scored.add(s);
            }
        }
        return scored;
    }

    /** Prompt + response, the response marked as the completion. */
    private static TokenizedSequence sequence(DicePrompt prompt, DiceSample sample) {
        int[] p = prompt.ids();
        int[] ids = Arrays.copyOf(p, p.length + sample.responseIds().length);
        System.arraycopy(sample.responseIds(), 0, ids, p.length, sample.responseIds().length);
        boolean[] mask = new boolean[ids.length];
        Arrays.fill(mask, p.length, ids.length, true);
        return new TokenizedSequence(ids, mask, prompt.source() + " sample " + sample.sample());
    }

    private void writePairs(Path out, List<DicePrompt> prompts, List<DiceSample> scored) throws IOException {
        List<List<DiceSample>> byPrompt = new ArrayList<>();
        prompts.forEach(p -> byPrompt.add(new ArrayList<>()));
        scored.forEach(s -> byPrompt.get(s.prompt()).add(s));
        DiceConfig.LengthUnit unit = config.lengthUnit();
        LengthRegularization.Sweep sweep = LengthRegularization.sweep(byPrompt, config.alphaGrid(), unit,
                config.minValidSamples());
        List<String> lines = new ArrayList<>();
        for (DicePair pair : sweep.pairs()) {
            lines.add(LINES.writeValueAsString(pairJson(prompts.get(pair.prompt()), pair, unit)));
        }
        writeLines(out.resolve("pairs.jsonl"), lines);
        ObjectNode stats = JSON.createObjectNode();
        stats.put("alpha", sweep.alpha());
        stats.put("length_unit", unit.label());
        stats.put("prompts", prompts.size());
        stats.put("samples", scored.size());
        stats.put("ended_samples", scored.stream().filter(DiceSample::ended).count());
        stats.put("min_valid_samples", config.minValidSamples());
        stats.set("before", JSON.valueToTree(lengths(sweep.before())));
        stats.set("after", JSON.valueToTree(lengths(sweep.after())));
        ArrayNode points = stats.putArray("sweep");
        for (LengthRegularization.SweepPoint p : sweep.points()) {
            points.addObject().put("alpha", p.alpha()).put("pairs", p.pairs()).put("length_gap", p.gap());
        }
        JSON.writeValue(out.resolve("stats.json").toFile(), stats);
    }

    private static Map<String, Object> lengths(LengthRegularization.LengthStats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pairs", s.pairs());
        m.put("mean_chosen_length", s.meanChosen());
        m.put("mean_rejected_length", s.meanRejected());
        return m;
    }

    private static ObjectNode pairJson(DicePrompt prompt, DicePair pair, DiceConfig.LengthUnit unit) {
        ObjectNode row = LINES.createObjectNode();
        if (prompt.text() == null) {
            row.set("prompt_ids", LINES.valueToTree(prompt.ids()));
            row.set("chosen_ids", LINES.valueToTree(pair.chosen().responseIds()));
            row.set("rejected_ids", LINES.valueToTree(pair.rejected().responseIds()));
        } else {
            row.set("prompt", textJson(prompt.text()));
            row.set("chosen", completionJson(prompt.text(), pair.chosen().response()));
            row.set("rejected", completionJson(prompt.text(), pair.rejected().response()));
        }
        row.put("prompt_index", pair.prompt());
        row.put("chosen_score", pair.chosen().score());
        row.put("rejected_score", pair.rejected().score());
        row.put("chosen_reward", pair.chosenReward());
        row.put("rejected_reward", pair.rejectedReward());
        row.put("chosen_length", pair.chosen().length(unit));
        row.put("rejected_length", pair.rejected().length(unit));
        return row;
    }

    /** A response as the completion of a prompt: a string, or one assistant message after a conversation. */
    private static JsonNode completionJson(Text prompt, String response) {
        return prompt instanceof Text.Conversation ? textJson(new Text.Conversation(List.of(new Message("assistant",
                response)))) : LINES.getNodeFactory().textNode(response);
    }

    private static JsonNode textJson(Text text) {
        return switch (text) {
            case Text.Plain p -> LINES.getNodeFactory().textNode(p.text());
            case Text.Conversation c -> LINES.valueToTree(c.messages());
        };
    }

    /** An offline preference pair as a TRL JSON line, its prompt made explicit. */
    private static ObjectNode preferenceJson(Example example) {
        ObjectNode row = LINES.createObjectNode();
        switch (example) {
            case Example.Preference p -> {
                Example.Preference explicit = PreferenceTokenization.withExplicitPrompt(p);
                row.set("prompt", textJson(explicit.prompt()));
                row.set("chosen", textJson(explicit.chosen()));
                row.set("rejected", textJson(explicit.rejected()));
            }
            case Example.TokenizedPreference t -> {
                row.set("prompt_ids", LINES.valueToTree(t.promptIds()));
                row.set("chosen_ids", LINES.valueToTree(t.chosenIds()));
                row.set("rejected_ids", LINES.valueToTree(t.rejectedIds()));
            }
            default -> throw new DataException(example.source() + ": offline data must be preference pairs "
                    + "({prompt, chosen, rejected}, {chosen, rejected} or *_ids), got "
                    + example.getClass().getSimpleName());
        }
        return row;
    }

    /** The prompt of a pair line, as a key: its JSON text. */
    private static String promptKey(ObjectNode pair) {
        return (pair.has("prompt") ? pair.get("prompt") : pair.get("prompt_ids")).toString();
    }

    private void writeMix(Path out, int round, List<ObjectNode> generated, List<ObjectNode> offline)
            throws IOException {
        ExperienceReplay.Mix<ObjectNode, ObjectNode> mix = ExperienceReplay.mix(generated, DiceLoop::promptKey,
                offline, DiceLoop::promptKey, config.gamma(), config.generation(round).seed());
        List<String> lines = new ArrayList<>();
        for (ObjectNode g : mix.generated()) {
            lines.add(LINES.writeValueAsString(g.deepCopy().put("origin", "generated")));
        }
        for (ObjectNode o : mix.offline()) {
            lines.add(LINES.writeValueAsString(o.deepCopy().put("origin", "offline")));
        }
        writeLines(out.resolve("train.jsonl"), lines);
        ObjectNode counts = JSON.createObjectNode();
        counts.put("gamma", config.gamma());
        counts.put("generated_available", generated.size());
        counts.put("offline_available", offline.size());
        counts.put("n_gen", mix.asked().generated());
        counts.put("n_off", mix.asked().offline());
        counts.put("offline_taken", mix.offline().size());
        counts.put("offline_short", mix.offlineShort());
        JSON.writeValue(out.resolve("mix.json").toFile(), counts);
    }

    /**
     * DPO from π_k (the policy, trained in place) with the frozen copy as reference, in {@code dpo.run/} (resumed
     * from its latest checkpoint when one exists), renamed to {@code dpo/} at the end.
     */
    private void trainDpo(Path dir, CausalLM policy, CausalLM frozenPolicy) throws IOException {
        Path run = dir.resolve(Stage.DPO.folder() + ".run");
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("output_dir", run.toString());
        if (Files.isDirectory(run) && CheckpointFolders.latest(run) != null) {
            options.put("resume_from_checkpoint", "latest");
        }
        DpoConfig dpo = config.dpo().withOptions(options);
        List<Example> train = JsonlDataset.read(dir.resolve("train_data/train.jsonl"));
        new DpoTrainer(policy, frozenPolicy, dpo, train, List.of(), tokenizer, writer).train();
        Files.move(run, dir.resolve(Stage.DPO.folder()), StandardCopyOption.ATOMIC_MOVE);
    }

    private static ObjectNode sampleJson(DiceSample s) {
        ObjectNode row = LINES.createObjectNode();
        row.put("prompt_index", s.prompt());
        row.put("sample", s.sample());
        row.set("response_ids", LINES.valueToTree(s.responseIds()));
        if (s.response() != null) {
            row.put("response", s.response());
        }
        row.put("ended", s.ended());
        if (!Double.isNaN(s.policyLogps())) {
            row.put("policy_logps", s.policyLogps());
            row.put("ref_logps", s.refLogps());
            row.put("score", s.score());
        }
        return row;
    }

    /**
     * The pairs stage's generated pairs: none when no prompt kept enough ended samples (then the round trains on the
     * replay pool alone, or stops when that is empty too).
     */
    private static List<ObjectNode> readPairs(Path pairsDir) throws IOException {
        if (JSON.readTree(pairsDir.resolve("stats.json").toFile()).path("after").path("pairs").asInt() == 0) {
            return List.of();
        }
        return JsonlDataset.readLines(pairsDir.resolve("pairs.jsonl"), JsonlDataset::object);
    }

    private static List<DiceSample> readSamples(Path file) {
        return JsonlDataset.readLines(file, (line, source) -> {
            ObjectNode row = JsonlDataset.object(line, source);
            int[] ids = new int[row.path("response_ids").size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = row.get("response_ids").get(i).asInt();
            }
            return new DiceSample(row.path("prompt_index").asInt(), row.path("sample").asInt(), ids,
                    row.hasNonNull("response") ? row.get("response").asText() : null, row.path("ended").asBoolean(),
                    row.has("policy_logps") ? row.get("policy_logps").asDouble() : Double.NaN,
                    row.has("ref_logps") ? row.get("ref_logps").asDouble() : Double.NaN);
        });
    }

    private static void writeLines(Path file, List<?> rows) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Object row : rows) {
                w.write(row instanceof String s ? s : LINES.writeValueAsString(row));
                w.write('\n');
            }
        }
    }

    private static DiceRound readRound(int round, Path dir) throws IOException {
        JsonNode stats = JSON.readTree(dir.resolve("pairs/stats.json").toFile());
        JsonNode mix = JSON.readTree(dir.resolve("train_data/mix.json").toFile());
        return new DiceRound(round, dir, dir.resolve(Stage.DPO.folder()), stats.get("samples").asInt(),
                stats.get("ended_samples").asInt(), stats.get("alpha").asDouble(), lengthStats(stats.get("before")),
                lengthStats(stats.get("after")), new ExperienceReplay.Counts(mix.get("n_gen").asInt(),
                mix.get("n_off").asInt()), mix.get("offline_taken").asInt());
    }

    private static LengthRegularization.LengthStats lengthStats(JsonNode n) {
        return new LengthRegularization.LengthStats(n.get("pairs").asInt(), n.get("mean_chosen_length").asDouble(),
                n.get("mean_rejected_length").asDouble());
    }

    private void writeSummary(Path outputDir, List<DiceRound> rounds, String stopped) throws IOException {
        ObjectNode summary = JSON.createObjectNode();
        summary.put("rounds_planned", config.rounds());
        if (stopped != null) {
            summary.put("stopped", stopped);
        }
        summary.put("samples_per_prompt", config.samplesPerPrompt());
        summary.put("gamma", config.gamma());
        summary.put("length_unit", config.lengthUnit().label());
        summary.put("alpha_grid_size", config.alphaGrid().size());
        ArrayNode list = summary.putArray("rounds");
        for (DiceRound r : rounds) {
            ObjectNode row = list.addObject();
            row.put("round", r.round());
            row.put("directory", outputDir.relativize(r.directory()).toString());
            row.put("model", outputDir.relativize(r.model()).toString());
            row.put("samples", r.samples());
            row.put("ended_samples", r.endedSamples());
            row.put("alpha", r.alpha());
            row.set("before", JSON.valueToTree(lengths(r.before())));
            row.set("after", JSON.valueToTree(lengths(r.after())));
            row.put("n_gen", r.replay().generated());
            row.put("n_off", r.replay().offline());
            row.put("offline_taken", r.offlineTaken());
        }
        Path file = outputDir.resolve(SUMMARY_FILE);
        Path temporary = outputDir.resolve(SUMMARY_FILE + ".tmp");
        JSON.writeValue(temporary.toFile(), summary);
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
