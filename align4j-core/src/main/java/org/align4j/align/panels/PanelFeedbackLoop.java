package org.align4j.align.panels;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.align4j.InputException;
import org.align4j.align.dpo.DpoRounds;
import org.align4j.align.dpo.DpoRounds.Stage;
import org.align4j.align.dpo.DpoTrainer;
import org.align4j.align.dpo.ModelReference;
import org.align4j.data.DataException;
import org.align4j.data.Text;
import org.align4j.data.panels.ConditionPanel;
import org.align4j.data.panels.ModelPanelBuilder;
import org.align4j.data.panels.PanelField;
import org.align4j.data.panels.PanelTask;
import org.align4j.data.panels.PanelText;
import org.align4j.data.panels.ParagraphPanel;
import org.align4j.model.CausalLM;
import org.align4j.model.Generation;
import org.align4j.model.GenerationConfig;
import org.align4j.model.Generator;
import org.align4j.model.HfModelWriter;
import org.align4j.model.io.Dtype;
import org.align4j.tokenizer.Tokenizer;

/**
 * Rounds of AI feedback for a panel-builder model (the dataset-model iteration of issue 20, on DICE's loop: Chen et
 * al. 2025, "Bootstrapping Language Models with DPO Implicit Rewards", Algorithm 1, with the writer's likelihood in
 * place of the implicit reward). The builder continues {@link PanelText#buildingPrompt} of a paragraph and the ones
 * before it ({@link PanelTask#BUILD}'s prompt) with the {@link PanelField#SUMMARISED} fields; the panel a writer is
 * shown is that of the paragraph's extractive panel with those fields replaced, as {@link ModelPanelBuilder} builds it
 * (the latest paragraph and the long-term memory stay extractive). Round k (from 1), with the builder π_k:
 * <ol>
 *   <li>{@link Stage#SAMPLES}: {@code num_generations} candidates per training paragraph, sampled from π_k
 *       ({@link DpoRounds#sample});</li>
 *   <li>{@link Stage#SCORES}: a candidate that ended within {@code max_new_tokens} and parses
 *       ({@link ModelPanelBuilder#parse}) is scored by {@link PanelFeedback}; the others are dropped and counted;</li>
 *   <li>{@link Stage#PAIRS}: per paragraph, a score pair, the best against the worst valid candidate (the first of
 *       equals; none with fewer than two valid candidates or equal scores), and a format pair, the best valid
 *       candidate against the first that was cut or does not parse (none without one of each): a panel that cannot be
 *       read ranks below every panel that can, as a format reward does in GRPO-style training, so that DPO on score
 *       pairs alone cannot move the builder off its format unopposed (one such round on {@code experiment panels}'s
 *       small budget left 31 of 32 held-out panels unparsed, from 8);</li>
 *   <li>{@link Stage#TRAIN_DATA}: the pairs as DPO data;</li>
 *   <li>{@link Stage#DPO}: π_{k+1} from π_k by DPO ({@link DpoTrainer}, any loss type) against a frozen copy of
 *       π_k;</li>
 *   <li>{@link Stage#EVAL}: π_{k+1}'s greedy panel of every held-out paragraph (the extractive panel where it does not
 *       parse, counted), scored by the same feedback and compared with round 0's panel of the same paragraph
 *       ({@link PanelEvaluation}).</li>
 * </ol>
 * Round 0 is the {@link Stage#EVAL} stage of the starting builder, in {@code round_0/eval/}. Files:
 * {@code samples.jsonl}; {@code scores.jsonl} (each candidate, its parse error or its log-likelihood, overlap and
 * score); {@code pairs.jsonl} (TRL preference lines with both scores) and {@code stats.json} (candidate counts and
 * means); {@code train.jsonl}; the DPO run folder; {@code panels.jsonl} and {@code metrics.json} of the evaluation.
 * The rounds run on {@link DpoRounds}: each stage's folder is written atomically and skipped when it exists, so a
 * stopped run started again with the same arguments goes on where it stopped. {@value #SUMMARY_FILE} lists the rounds.
 *
 * <p>The builder passed to {@link #run} is trained in place: after the run it holds the last round's model.
 */
public final class PanelFeedbackLoop {
    /** The file listing the rounds. */
    public static final String SUMMARY_FILE = "panels_summary.json";
    private final PanelFeedbackConfig config;
    private final Tokenizer tokenizer;
    private final DpoRounds rounds;

    /**
     * A loop whose frozen copies of the builder (each round's DPO reference) store their weight matrices in
     * {@code frozenStorage}, float32 or bfloat16 ({@link ModelReference#frozenCopyOf(CausalLM, Dtype)}).
     *
     * @param tokenizer  the tokenizer of the builder and the writer (they must share it)
     * @param modelFiles how the DPO models are written (generation config, tokenizer files)
     */
    public PanelFeedbackLoop(PanelFeedbackConfig config, Tokenizer tokenizer, HfModelWriter modelFiles,
                             Dtype frozenStorage) {
        this.rounds = new DpoRounds(config.dpo(), tokenizer, modelFiles, frozenStorage);
        this.config = config;
        this.tokenizer = tokenizer;
    }

    /** A loop with float32 frozen copies. */
    public PanelFeedbackLoop(PanelFeedbackConfig config, Tokenizer tokenizer, HfModelWriter modelFiles) {
        this(config, tokenizer, modelFiles, Dtype.F32);
    }

    /** The folder of round {@code round} under {@code outputDir}. */
    public static Path roundDirectory(Path outputDir, int round) {
        return DpoRounds.roundDirectory(outputDir, round);
    }

    /**
     * Evaluates the starting builder (round 0), runs every round (skipping what exists) and writes
     * {@value #SUMMARY_FILE}.
     *
     * @param builder the panel builder, trained in place round after round
     * @param writer  the writer whose likelihood of the true paragraph is the feedback (only run)
     * @param train   the training paragraphs, each with its extractive panel (latest paragraph, long-term memory)
     * @param heldOut the held-out paragraphs likewise
     * @return round 0 and the rounds completed, in order, and why the run stopped early if it did
     * @throws IOException when a stage's files cannot be written
     */
    public DpoRounds.Run<PanelRound> run(CausalLM builder, CausalLM writer, List<ParagraphPanel> train,
                                        List<ParagraphPanel> heldOut, Path outputDir, DpoRounds.Listener listener)
            throws IOException {
        if (train.isEmpty() || heldOut.isEmpty()) {
            throw new InputException("panel feedback needs training and held-out paragraphs, got " + train.size()
                    + " and " + heldOut.size());
        }
        List<int[]> trainPrompts = promptIds(builder, train);
        List<int[]> heldOutPrompts = promptIds(builder, heldOut);
        PanelFeedback feedback = new PanelFeedback(writer, tokenizer, config.copyPenalty(), config.scoreBatchSize());
        Path round0 = roundDirectory(outputDir, 0);
        Path round0Panels = round0.resolve(Stage.EVAL.folder()).resolve("panels.jsonl");
        DpoRounds.stage(0, round0, Stage.EVAL, listener, out -> evaluate(out, builder, feedback, heldOut,
                heldOutPrompts, null));
        PanelRound start = readRound(0, round0);
        DpoRounds.Run<PanelRound> run = rounds.run(builder, null, config.rounds(), outputDir, listener,
                new DpoRounds.Round<>() {
                    @Override
                    public String prepare(int round, Path directory, CausalLM previous) throws IOException {
                        return prepareRound(round, directory, builder, feedback, train, trainPrompts, listener);
                    }

                    @Override
                    public PanelRound finish(int round, Path directory) throws IOException {
                        DpoRounds.stage(round, directory, Stage.EVAL, listener, out -> evaluate(out, builder,
                                feedback, heldOut, heldOutPrompts, round0Panels));
                        return readRound(round, directory);
                    }

                    @Override
                    public void summarise(List<PanelRound> done, String stopped) throws IOException {
                        writeSummary(outputDir, start, done, stopped, train.size(), heldOut.size());
                    }
                });
        List<PanelRound> all = new ArrayList<>();
        all.add(start);
        all.addAll(run.rounds());
        return new DpoRounds.Run<>(all, run.stopped());
    }

    /** The building prompt of a paragraph: {@link PanelTask#BUILD}'s, with {@code context_paragraphs} before it. */
    private String prompt(ParagraphPanel p) {
        return PanelTask.BUILD.example(p, config.contextParagraphs(), "").prompt();
    }

    /** The prompts' ids, as DPO tokenizes a text prompt; each must leave room for {@code max_new_tokens}. */
    private List<int[]> promptIds(CausalLM builder, List<ParagraphPanel> paragraphs) {
        int positions = builder.config().maxPositions();
        int maxNew = config.generation().maxNewTokens();
        List<int[]> ids = new ArrayList<>(paragraphs.size());
        for (ParagraphPanel p : paragraphs) {
            int[] prompt = tokenizer.encode(prompt(p), true);
            if (prompt.length + maxNew > positions) {
                throw new DataException(p.source() + ": the building prompt takes " + prompt.length + " tokens; with "
                        + "max_new_tokens " + maxNew + " that exceeds the builder's " + positions + " positions");
            }
            ids.add(prompt);
        }
        return ids;
    }

    /** The stages before DPO; returns why the round cannot train (no pair), or null once its data is written. */
    private String prepareRound(int round, Path dir, CausalLM builder, PanelFeedback feedback,
                                List<ParagraphPanel> train, List<int[]> prompts, DpoRounds.Listener listener)
            throws IOException {
        GenerationConfig generation = config.generation(round);
        DpoRounds.stage(round, dir, Stage.SAMPLES, listener, out -> DpoRounds.writeLines(
                out.resolve("samples.jsonl"), sample(builder, train, prompts, generation)));
        DpoRounds.stage(round, dir, Stage.SCORES, listener, out -> DpoRounds.writeLines(out.resolve("scores.jsonl"),
                score(feedback, train, DpoRounds.readLines(dir.resolve("samples/samples.jsonl")))));
        DpoRounds.stage(round, dir, Stage.PAIRS, listener, out -> writePairs(out, train,
                DpoRounds.readLines(dir.resolve("scores/scores.jsonl"))));
        JsonNode stats = DpoRounds.JSON.readTree(dir.resolve("pairs/stats.json").toFile());
        if (stats.get("pairs").asInt() == 0) {
            return String.format(Locale.ROOT, "round %d: no preference pair to train on (%d of %d candidates ended "
                            + "within %d tokens and parsed; %d of %d paragraphs had none, %d a tie): sample more or longer "
                            + "candidates, or start from a builder trained on panels build's build examples", round,
                    stats.get("valid").asInt(), stats.get("candidates").asInt(), generation.maxNewTokens(),
                    stats.get("no_valid").asInt(), stats.get("paragraphs").asInt(),
                    stats.get("ties").asInt());
        }
        DpoRounds.stage(round, dir, Stage.TRAIN_DATA, listener, out -> DpoRounds.writeLines(
                out.resolve("train.jsonl"), DpoRounds.readLines(dir.resolve("pairs/pairs.jsonl"))));
        return null;
    }

    private List<ObjectNode> sample(CausalLM builder, List<ParagraphPanel> train, List<int[]> prompts,
                                    GenerationConfig generation) {
        int k = config.numGenerations();
        List<int[][]> generated = DpoRounds.sample(builder, prompts, k, generation);
        List<ObjectNode> rows = new ArrayList<>(train.size() * k);
        for (int p = 0; p < train.size(); p++) {
            for (int s = 0; s < k; s++) {
                int[] ids = generated.get(p)[s];
                boolean ended = ended(ids, generation);
                ObjectNode row = DpoRounds.LINES.createObjectNode();
                row.put("paragraph", p);
                row.put("source", train.get(p).source());
                row.put("sample", s);
                row.set("completion_ids", DpoRounds.LINES.valueToTree(ids));
                row.put("completion", decode(ids, ended));
                row.put("ended", ended);
                rows.add(row);
            }
        }
        return rows;
    }

    private static boolean ended(int[] ids, GenerationConfig generation) {
        return ids.length > 0 && generation.eosTokenIds().contains(ids[ids.length - 1]);
    }

    /** The text of generated ids without their final eos. */
    private String decode(int[] ids, boolean ended) {
        return tokenizer.decode(ended ? Arrays.copyOf(ids, ids.length - 1) : ids, true);
    }

    /**
     * The notes (the summarised fields) of a completion, or the reason it is not a panel: cut before its eos, or a
     * parse error.
     */
    private record Notes(ConditionPanel panel, String error) {
        static Notes of(String completion, boolean ended, String source, int maxNewTokens) {
            if (!ended) {
                return new Notes(null, "no eos within " + maxNewTokens + " tokens");
            }
            try {
                return new Notes(ModelPanelBuilder.parse(completion, source), null);
            } catch (DataException e) {
                return new Notes(null, e.getMessage());
            }
        }
    }

    /** The panel the writer is shown: the extractive panel with the candidate's summarised fields. */
    private static ParagraphPanel shown(ParagraphPanel base, ConditionPanel notes) {
        return new ParagraphPanel(base.story(), base.index(), base.panel().replacing(PanelField.SUMMARISED, notes));
    }

    private List<ObjectNode> score(PanelFeedback feedback, List<ParagraphPanel> train, List<ObjectNode> samples)
            throws IOException {
        List<ObjectNode> rows = new ArrayList<>(samples.size());
        List<ObjectNode> valid = new ArrayList<>();
        List<ParagraphPanel> panels = new ArrayList<>();
        for (ObjectNode sample : samples) {
            ObjectNode row = sample.deepCopy();
            ParagraphPanel base = train.get(row.get("paragraph").asInt());
            Notes notes = Notes.of(row.get("completion").asText(), row.get("ended").asBoolean(),
                    base.source() + " sample " + row.get("sample").asInt(), config.generation().maxNewTokens());
            row.put("valid", notes.panel() != null);
            if (notes.panel() == null) {
                row.put("error", notes.error());
            } else {
                row.set("panel", DpoRounds.LINES.readTree(notes.panel().toJson()));
                valid.add(row);
                panels.add(shown(base, notes.panel()));
            }
            rows.add(row);
        }
        List<PanelFeedback.Score> scores = feedback.score(panels);
        for (int i = 0; i < valid.size(); i++) {
            put(valid.get(i), scores.get(i));
        }
        return rows;
    }

    private static void put(ObjectNode row, PanelFeedback.Score s) {
        row.put("log_likelihood", s.logLikelihood());
        row.put("tokens", s.tokens());
        row.put("overlap", s.overlap());
        row.put("score", s.score());
    }

    private void writePairs(Path out, List<ParagraphPanel> train, List<ObjectNode> scored) throws IOException {
        List<List<ObjectNode>> byParagraph = new ArrayList<>();
        List<ObjectNode> firstInvalid = new ArrayList<>();
        train.forEach(p -> {
            byParagraph.add(new ArrayList<>());
            firstInvalid.add(null);
        });
        int ended = 0;
        double logLikelihood = 0;
        double overlap = 0;
        double score = 0;
        int valid = 0;
        for (ObjectNode row : scored) {
            ended += row.get("ended").asBoolean() ? 1 : 0;
            int p = row.get("paragraph").asInt();
            if (row.get("valid").asBoolean()) {
                byParagraph.get(p).add(row);
                valid++;
                logLikelihood += row.get("log_likelihood").asDouble();
                overlap += row.get("overlap").asDouble();
                score += row.get("score").asDouble();
            } else if (firstInvalid.get(p) == null) {
                firstInvalid.set(p, row);
            }
        }
        List<ObjectNode> pairs = new ArrayList<>();
        int few = 0;
        int ties = 0;
        int formatPairs = 0;
        int none = 0;
        for (int p = 0; p < train.size(); p++) {
            List<ObjectNode> candidates = byParagraph.get(p);
            if (candidates.isEmpty()) {
                few++;
                none++;
                continue;
            }
            ObjectNode best = candidates.getFirst();
            ObjectNode worst = candidates.getFirst();
            for (ObjectNode c : candidates) {
                best = c.get("score").asDouble() > best.get("score").asDouble() ? c : best;
                worst = c.get("score").asDouble() < worst.get("score").asDouble() ? c : worst;
            }
            if (candidates.size() < 2) {
                few++;
            } else if (best.get("score").asDouble() > worst.get("score").asDouble()) {
                pairs.add(pairRow(train.get(p), best, worst));
            } else {
                ties++;
            }
            if (firstInvalid.get(p) != null) {
                pairs.add(pairRow(train.get(p), best, firstInvalid.get(p)));
                formatPairs++;
            }
        }
        DpoRounds.writeLines(out.resolve("pairs.jsonl"), pairs);
        ObjectNode stats = DpoRounds.JSON.createObjectNode();
        stats.put("copy_penalty", config.copyPenalty());
        stats.put("paragraphs", train.size());
        stats.put("candidates", scored.size());
        stats.put("ended", ended);
        stats.put("valid", valid);
        stats.put("pairs", pairs.size());
        stats.put("format_pairs", formatPairs);
        stats.put("fewer_than_two_valid", few);
        stats.put("no_valid", none);
        stats.put("ties", ties);
        if (valid > 0) {
            stats.put("mean_log_likelihood", logLikelihood / valid);
            stats.put("mean_overlap", overlap / valid);
            stats.put("mean_score", score / valid);
        }
        DpoRounds.JSON.writeValue(out.resolve("stats.json").toFile(), stats);
    }

    /** A preference line: a score pair when {@code rejected} was scored, else a format pair (its parse error kept). */
    private ObjectNode pairRow(ParagraphPanel paragraph, ObjectNode chosen, ObjectNode rejected) {
        ObjectNode row = DpoRounds.preferenceRow(new Text.Plain(prompt(paragraph)), chosen.get("completion").asText(),
                rejected.get("completion").asText());
        row.put("source", paragraph.source());
        row.put("paragraph", chosen.get("paragraph").asInt());
        row.put("kind", rejected.get("valid").asBoolean() ? "score" : "format");
        for (String side : List.of("chosen", "rejected")) {
            ObjectNode c = side.equals("chosen") ? chosen : rejected;
            row.put(side + "_sample", c.get("sample").asInt());
            if (c.get("valid").asBoolean()) {
                row.put(side + "_score", c.get("score").asDouble());
                row.put(side + "_log_likelihood", c.get("log_likelihood").asDouble());
                row.put(side + "_overlap", c.get("overlap").asDouble());
            } else {
                row.put(side + "_error", c.get("error").asText());
            }
        }
        return row;
    }

    /**
     * The builder's greedy panels of the held-out paragraphs, scored; compared with round 0's ({@code round0Panels},
     * or with themselves when null: round 0).
     */
    private void evaluate(Path out, CausalLM builder, PanelFeedback feedback, List<ParagraphPanel> heldOut,
                          List<int[]> prompts, Path round0Panels) throws IOException {
        GenerationConfig greedy = config.evaluation();
        Generator generator = new Generator(builder);
        List<int[]> completions = new ArrayList<>(heldOut.size());
        for (int from = 0; from < prompts.size(); from += config.scoreBatchSize()) {
            List<int[]> batch = prompts.subList(from, Math.min(prompts.size(), from + config.scoreBatchSize()));
            Generation generation = generator.generate(batch.toArray(int[][]::new), greedy);
            for (int r = 0; r < batch.size(); r++) {
                completions.add(generation.completion(r));
            }
        }
        List<ObjectNode> rows = new ArrayList<>(heldOut.size());
        List<ParagraphPanel> panels = new ArrayList<>(heldOut.size());
        int failures = 0;
        for (int i = 0; i < heldOut.size(); i++) {
            ParagraphPanel base = heldOut.get(i);
            boolean ended = ended(completions.get(i), greedy);
            String completion = decode(completions.get(i), ended);
            Notes notes = Notes.of(completion, ended, base.source(), greedy.maxNewTokens());
            ObjectNode row = DpoRounds.LINES.createObjectNode();
            row.put("source", base.source());
            row.put("completion", completion);
            row.put("parsed", notes.panel() != null);
            if (notes.panel() == null) {
                failures++;
                row.put("error", notes.error());
            }
            ParagraphPanel shown = notes.panel() == null ? base : shown(base, notes.panel());
            row.set("panel", DpoRounds.LINES.readTree(shown.panel().only(PanelField.SUMMARISED).toJson()));
            panels.add(shown);
            rows.add(row);
        }
        List<PanelFeedback.Score> scores = feedback.score(panels);
        double[] baseline = round0Panels == null ? scores.stream().mapToDouble(PanelFeedback.Score::score).toArray()
                : DpoRounds.readLines(round0Panels).stream().mapToDouble(r -> r.get("score").asDouble()).toArray();
        if (baseline.length != heldOut.size()) {
            throw new InputException(round0Panels + " holds " + baseline.length + " panels but there are "
                    + heldOut.size() + " held-out paragraphs: the output folder belongs to another run");
        }
        double nll = 0;
        long tokens = 0;
        double logLikelihood = 0;
        double overlap = 0;
        double score = 0;
        double wins = 0;
        for (int i = 0; i < rows.size(); i++) {
            PanelFeedback.Score s = scores.get(i);
            put(rows.get(i), s);
            double outcome = s.score() > baseline[i] ? 1 : s.score() < baseline[i] ? 0 : 0.5;
            rows.get(i).put("round_0_score", baseline[i]);
            rows.get(i).put("outcome", outcome);
            nll += s.nll();
            tokens += s.tokens();
            logLikelihood += s.logLikelihood();
            overlap += s.overlap();
            score += s.score();
            wins += outcome;
        }
        DpoRounds.writeLines(out.resolve("panels.jsonl"), rows);
        int n = rows.size();
        ObjectNode metrics = DpoRounds.JSON.createObjectNode();
        metrics.put("copy_penalty", config.copyPenalty());
        metrics.put("paragraphs", n);
        metrics.put("parse_failures", failures);
        metrics.put("held_out_loss", nll / tokens);
        metrics.put("mean_log_likelihood", logLikelihood / n);
        metrics.put("mean_overlap", overlap / n);
        metrics.put("mean_score", score / n);
        metrics.put("win_rate", wins / n);
        DpoRounds.JSON.writeValue(out.resolve("metrics.json").toFile(), metrics);
    }

    private static PanelRound readRound(int round, Path dir) throws IOException {
        JsonNode m = DpoRounds.JSON.readTree(dir.resolve(Stage.EVAL.folder()).resolve("metrics.json").toFile());
        PanelEvaluation heldOut = new PanelEvaluation(m.get("paragraphs").asInt(), m.get("parse_failures").asInt(),
                m.get("held_out_loss").asDouble(), m.get("mean_log_likelihood").asDouble(),
                m.get("mean_overlap").asDouble(), m.get("mean_score").asDouble(), m.get("win_rate").asDouble());
        if (round == 0) {
            return new PanelRound(0, dir, null, 0, 0, 0, heldOut);
        }
        JsonNode stats = DpoRounds.JSON.readTree(dir.resolve("pairs/stats.json").toFile());
        return new PanelRound(round, dir, dir.resolve(Stage.DPO.folder()), stats.get("candidates").asInt(),
                stats.get("valid").asInt(), stats.get("pairs").asInt(), heldOut);
    }

    private void writeSummary(Path outputDir, PanelRound start, List<PanelRound> done, String stopped,
                              int trainParagraphs, int heldOutParagraphs) throws IOException {
        ObjectNode summary = DpoRounds.summary(config.rounds(), stopped);
        summary.put("num_generations", config.numGenerations());
        summary.put("copy_penalty", config.copyPenalty());
        summary.put("max_new_tokens", config.generation().maxNewTokens());
        summary.put("train_paragraphs", trainParagraphs);
        summary.put("held_out_paragraphs", heldOutParagraphs);
        ArrayNode list = summary.putArray("rounds");
        List<PanelRound> all = new ArrayList<>();
        all.add(start);
        all.addAll(done);
        for (PanelRound r : all) {
            ObjectNode row = list.addObject();
            row.put("round", r.round());
            row.put("directory", outputDir.relativize(r.directory()).toString());
            if (r.model() != null) {
                row.put("model", outputDir.relativize(r.model()).toString());
            }
            row.put("candidates", r.candidates());
            row.put("valid_candidates", r.validCandidates());
            row.put("pairs", r.pairs());
            PanelEvaluation e = r.heldOut();
            row.put("held_out_loss", e.heldOutLoss());
            row.put("mean_log_likelihood", e.meanLogLikelihood());
            row.put("mean_overlap", e.meanOverlap());
            row.put("mean_score", e.meanScore());
            row.put("win_rate", e.winRate());
            row.put("parse_failure_share", e.parseFailureShare());
        }
        DpoRounds.writeSummary(outputDir.resolve(SUMMARY_FILE), summary);
    }
}
