package org.align4j.align.dice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.align4j.InputException;
import org.align4j.align.dpo.DpoRounds;
import org.align4j.align.dpo.DpoRounds.Stage;
import org.align4j.align.dpo.DpoTrainer;
import org.align4j.align.dpo.ModelReference;
import org.align4j.align.dpo.PreferenceScorer;
import org.align4j.data.DataException;
import org.align4j.data.Example;
import org.align4j.data.JsonlDataset;
import org.align4j.data.PreferenceTokenization;
import org.align4j.model.CausalLM;
import org.align4j.model.Generator;
import org.align4j.model.HfModelWriter;
import org.align4j.model.io.Dtype;
import org.align4j.tokenizer.Tokenizer;

/**
 * DICE, self-alignment with DPO implicit rewards (Chen et al. 2025, "Bootstrapping Language Models with DPO Implicit
 * Rewards", ICLR 2025, Algorithm 1). Starting from a DPO policy π_1 and its reference π_ref, round k:
 * <ol>
 *   <li>{@link Stage#SAMPLES} (in this JVM or elsewhere, {@link DiceRollouts}): samples K responses per prompt from
 *       π_k ({@link Generator}); a response without an eos within {@code max_new_tokens} is kept in the file but
 *       never used;</li>
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
 * {@code mix.json}, and the DPO run folder (the model, checkpoints, metrics). The rounds run on {@link DpoRounds}:
 * each stage's folder is written atomically (DPO trains in {@code dpo.run/}, resuming from its latest checkpoint, and
 * that folder is renamed to {@code dpo/} when training ends), and a run skips the stages whose folder exists: a stopped
 * run started again with the same arguments goes on where it stopped. A round whose {@code dpo/} exists is not redone:
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
    private final DpoRounds rounds;
    private DiceRollouts rollouts;
    private Path startFolder;
    private Path referenceFolder;

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
        this.rounds = new DpoRounds(config.dpo(), tokenizer, writer, frozenStorage);
        if (tokenizer == null && config.lengthUnit() == DiceConfig.LengthUnit.CHARS) {
            throw new InputException("lengths in characters need a tokenizer to decode the responses; "
                    + "use length unit tokens");
        }
        this.config = config;
        this.tokenizer = tokenizer;
        this.rollouts = DiceRollouts.local(tokenizer);
    }

    /**
     * Runs the sampling and scoring stages with {@code rollouts} (by default {@link DiceRollouts#local}), which may
     * read the models from their folders: π_1 from {@code policyFolder}, round 1's reference from
     * {@code referenceFolder}, and π_k (k > 1) from round k−1's DPO folder. Returns this loop.
     */
    public DiceLoop runRolloutsWith(DiceRollouts rollouts, Path policyFolder, Path referenceFolder) {
        this.rollouts = rollouts;
        this.startFolder = policyFolder;
        this.referenceFolder = referenceFolder;
        return this;
    }

    /** The folder of π_k: the starting policy's in round 1, else round k−1's DPO model. */
    private Path policyFolder(Path roundDirectory, int round) {
        return round == 1 ? startFolder
                : DpoRounds.roundDirectory(roundDirectory.getParent(), round - 1).resolve(Stage.DPO.folder());
    }

    /** The folder of round {@code round} under {@code outputDir}. */
    public static Path roundDirectory(Path outputDir, int round) {
        return DpoRounds.roundDirectory(outputDir, round);
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
    public DpoRounds.Run<DiceRound> run(CausalLM policy, CausalLM reference, List<DicePrompt> prompts, List<Example> offline,
                       Path outputDir, DpoRounds.Listener listener) throws IOException {
        if (prompts.isEmpty()) {
            throw new InputException("DICE needs at least one prompt");
        }
        List<ObjectNode> offlinePairs = new ArrayList<>(offline.size());
        for (Example e : offline) {
            offlinePairs.add(preferenceJson(e));
        }
        DpoRounds.Run<DiceRound> run = rounds.run(policy, reference, config.rounds(), outputDir, listener,
                new DpoRounds.Round<>() {
                    @Override
                    public String prepare(int round, Path directory, CausalLM previous) throws IOException {
                        return runRound(round, directory, policy, previous, prompts, offlinePairs, listener);
                    }

                    @Override
                    public DiceRound finish(int round, Path directory) throws IOException {
                        return readRound(round, directory);
                    }

                    @Override
                    public void summarise(List<DiceRound> done, String stopped) throws IOException {
                        writeSummary(outputDir, done, stopped);
                    }
                });
        return run;
    }

    /**
     * Runs a round's stages up to the DPO data; returns why the round cannot train (no pair to train on), or null
     * once its data is written.
     */
    private String runRound(int round, Path dir, CausalLM policy, CausalLM reference, List<DicePrompt> prompts,
                            List<ObjectNode> offline, DpoRounds.Listener listener) throws IOException {
        DiceRollouts.RoundModels models = new DiceRollouts.RoundModels(policy, policyFolder(dir, round), reference,
                round == 1 ? referenceFolder : policyFolder(dir, round - 1));
        DpoRounds.stage(round, dir, Stage.SAMPLES, listener, out -> DpoRounds.writeLines(out.resolve("samples.jsonl"),
                rollouts.sample(models, prompts, config.samplesPerPrompt(), config.generation(round)).stream()
                        .map(DiceSample::toJson).toList()));
        DpoRounds.stage(round, dir, Stage.SCORES, listener, out -> DpoRounds.writeLines(out.resolve("scores.jsonl"),
                rollouts.score(models, prompts, readSamples(dir.resolve("samples/samples.jsonl")),
                        config.scoreBatchSize(), config.generation().eosTokenIds().getFirst()).stream()
                        .map(DiceSample::toJson).toList()));
        DpoRounds.stage(round, dir, Stage.PAIRS, listener, out -> writePairs(out, prompts,
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
        DpoRounds.stage(round, dir, Stage.TRAIN_DATA, listener, out -> writeMix(out, round, generated, offline));
        return null;
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
        DpoRounds.writeLines(out.resolve("pairs.jsonl"), lines);
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
        ObjectNode row;
        if (prompt.text() == null) {
            row = LINES.createObjectNode();
            row.set("prompt_ids", LINES.valueToTree(prompt.ids()));
            row.set("chosen_ids", LINES.valueToTree(pair.chosen().responseIds()));
            row.set("rejected_ids", LINES.valueToTree(pair.rejected().responseIds()));
        } else {
            row = DpoRounds.preferenceRow(prompt.text(), pair.chosen().response(), pair.rejected().response());
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

    /** An offline preference pair as a TRL JSON line, its prompt made explicit. */
    private static ObjectNode preferenceJson(Example example) {
        ObjectNode row = LINES.createObjectNode();
        switch (example) {
            case Example.Preference p -> {
                Example.Preference explicit = PreferenceTokenization.withExplicitPrompt(p);
                row.set("prompt", DpoRounds.textJson(explicit.prompt()));
                row.set("chosen", DpoRounds.textJson(explicit.chosen()));
                row.set("rejected", DpoRounds.textJson(explicit.rejected()));
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
        DpoRounds.writeLines(out.resolve("train.jsonl"), lines);
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
     * The pairs stage's generated pairs: none when no prompt kept enough ended samples (then the round trains on the
     * replay pool alone, or stops when that is empty too).
     */
    private static List<ObjectNode> readPairs(Path pairsDir) throws IOException {
        if (JSON.readTree(pairsDir.resolve("stats.json").toFile()).path("after").path("pairs").asInt() == 0) {
            return List.of();
        }
        return DpoRounds.readLines(pairsDir.resolve("pairs.jsonl"));
    }

    private static List<DiceSample> readSamples(Path file) {
        return JsonlDataset.readLines(file, (line, source) -> DiceSample.fromJson(JsonlDataset.object(line, source)));
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
        ObjectNode summary = DpoRounds.summary(config.rounds(), stopped);
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
        DpoRounds.writeSummary(outputDir.resolve(SUMMARY_FILE), summary);
    }
}
