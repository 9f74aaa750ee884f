package org.align4j.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.align4j.OutputFile;
import org.align4j.align.sft.SftTask;
import org.align4j.align.sft.SftTrainer;
import org.align4j.data.BrownCorpus;
import org.align4j.data.Example;
import org.align4j.data.SftTokenization;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.CausalLM;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.ModelConfig;
import org.align4j.model.Models;
import org.align4j.scaling.ChinchillaLaw;
import org.align4j.scaling.DataRepetition;
import org.align4j.scaling.HuberLogLossFit;
import org.align4j.scaling.ScalingLawAnalysis;
import org.align4j.scaling.ScalingLawReport;
import org.align4j.scaling.TrainingRun;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.TrainOutput;
import org.align4j.train.Trainer;
import org.align4j.train.TrainingArguments;

/**
 * A compute-optimal scaling sweep in the manner of Hoffmann et al. (2022), approaches 2 and 3, on the bundled Brown
 * fiction: members of the {@link EmbeddedModelFamily} of several sizes N are each trained, from scratch and with a
 * cosine schedule fitted to the run's length, on D = C / 6N tokens for each compute budget C (IsoFLOP profiles, each
 * with its own sizes), with the SFT pipeline ({@link SftTokenization} packing, {@link SftTask}, the shared
 * {@link Trainer}); the held-out loss of every run goes to {@code runs.csv}, and {@link ScalingLawAnalysis} fits
 * approach 3, approach 2 and Kaplan's laws to them ({@code results.json}, {@code report.md}, figures).
 *
 * <p>N counts all parameters, as Hoffmann et al. do: the tied embedding is also the output layer, whose matmul is
 * most of a narrow member's compute, so 6ND with all parameters is the compute spent (the CSV also has the
 * non-embedding count Kaplan et al. use).
 *
 * <p>Data: the training split holds 0.38M tokens, and the sweep repeats it, valuing repeated tokens as Muennighoff
 * et al. (2023) do ({@link DataRepetition}, their R*_D = 15.4) in approach 3, rather than holding every run to one
 * pass. One pass cannot give an IsoFLOP minimum here: the smallest member wins every profile whose runs stay within
 * about one pass (at 10¹¹ FLOPs, with this recipe, width 16 at 0.6 epochs beat widths 32 to 128 by 0.14 to 0.52
 * nats; at 8·10¹⁰, with 4-row batches at 10⁻², a width-8 model of 35k parameters at one pass beat width 16 by 0.29),
 * so the compute-optimal size for one pass lies below the narrowest member the 4,257-token embedding allows. Beyond
 * one pass the loss keeps falling (width 32: 5.66, 5.26, 5.04, 4.88 after 1, 2, 4, 8 epochs), and half the corpus
 * repeated twice (four times) came within 0.05 (0.11) nats of the whole corpus once (twice), where R*_D = 15.4
 * predicts 0.00 (0.04). From 10¹² FLOPs on the minimum lies inside the sizes (width 32 at 10¹² and 1.8·10¹², width
 * 64 at 3.2·10¹²), and the budgets start there; approach 2's minima are then the compute-optimal allocation for this
 * corpus repeated as often as each budget allows. Each profile's sizes bracket its minimum, and the report says of
 * each whether its minimum lies inside them.
 *
 * <p>Runs go from the smallest budget up; a run whose estimated time (from the FLOP rate of the runs so far) would
 * overrun the wall-clock limit is skipped and listed as such. Budgets: {@code smoke} (3 sizes x 2 budgets on 24
 * documents, seconds; the test suite runs it), {@code small} (3 budgets from 10¹² to 3.2·10¹² FLOPs, 5 sizes each
 * from width 16 to 128: 15 runs, 3·10¹³ FLOPs, up to 11 epochs; 15 minutes on one thread of a shared two-core
 * machine, 12 to 65 GFLOP/s from width 16 to 128), {@code full} (6 budgets from 10¹² to 3.2·10¹³, 5 to 7 sizes
 * each up to the embedded model: 4·10¹⁴ FLOPs, an estimated 2 hours on one thread at those rates; not run yet).
 */
public final class ScalingSweepExperiment {
    /** The IsoFLOP grouping tolerance for planned budgets at least 0.25 decades apart. */
    private static final double ISOFLOP_GAP_DECADES = 0.1;
    /** How the sweep treats the data it repeats (the alternative, one pass, is explained above). */
    private static final String REPETITION_MODELLED = "modelled (Muennighoff et al. 2023), runs not held to one pass";
    /** Which parameters N counts, and why. */
    private static final String PARAMETER_COUNT = "N counts all parameters, the tied embedding included, as Hoffmann "
            + "et al. do: the embedding is also the output layer, whose matmul is most of a narrow member's FLOPs (95% "
            + "of the parameters at width 16), so C = 6ND with all parameters is the compute actually spent, where the "
            + "non-embedding count would leave it out (Pearce & Song 2024 trace Kaplan et al.'s larger exponent to "
            + "that count at small scale).";

    /** A model size of the sweep. */
    public record Size(int width, int layers) {
        /** A short name, e.g. {@code w64-l2}. */
        public String name() {
            return "w" + width + "-l" + layers;
        }
    }

    /**
     * One IsoFLOP profile of the plan: the sizes trained at one compute budget.
     *
     * @param compute the budget C (FLOPs, counted as 6ND with all parameters)
     * @param sizes   the sizes trained on it, each for D = C / 6N tokens
     */
    public record Budget(double compute, List<Size> sizes) {
    }

    /**
     * What a budget trains.
     *
     * @param budgets          the IsoFLOP profiles, by increasing compute
     * @param seq              tokens per packed row
     * @param batch            rows per optimizer step
     * @param learningRate     peak learning rate (cosine decay, 5% warmup)
     * @param documents        corpus documents used (every 21st held out), 0 for all
     * @param heldOutRows      held-out rows evaluated after each run
     * @param timeLimitSeconds wall-clock limit of the training runs
     * @param bootstrapSamples bootstrap refits of approaches 3 and 2
     */
    public record Plan(List<Budget> budgets, int seq, int batch, double learningRate, int documents, int heldOutRows,
                       double timeLimitSeconds, int bootstrapSamples) {
    }

    /**
     * One trained run.
     *
     * @param size               the model size
     * @param plannedCompute     the budget it belongs to
     * @param parameters         all parameters
     * @param nonEmbedding       parameters other than the tied embedding
     * @param tokens             training tokens seen
     * @param steps              optimizer steps
     * @param heldOutLoss        mean loss per token on the held-out rows after training
     * @param trainingLoss       mean training loss over the run
     * @param seconds            training wall-clock seconds
     */
    public record SweepRun(Size size, double plannedCompute, long parameters, long nonEmbedding, long tokens,
                           long steps, double heldOutLoss, double trainingLoss, double seconds) {
        /** C = 6ND with all parameters. */
        public double compute() {
            return 6.0 * parameters * tokens;
        }

        /** The run as a {@link TrainingRun} (all parameters). */
        public TrainingRun trainingRun() {
            return new TrainingRun(parameters, tokens, compute(), heldOutLoss, size.name() + " at C=" + plannedCompute);
        }
    }

    /**
     * The outcome.
     *
     * @param runs           the trained runs
     * @param skipped        the (size, budget) pairs left out to respect the time limit
     * @param analysis       the fits (null with fewer than 6 runs)
     * @param seconds        wall-clock seconds of the whole sweep
     * @param trainingTokens tokens in the training split (a run of D tokens makes D / this many epochs)
     */
    public record Result(List<SweepRun> runs, List<String> skipped, ScalingLawAnalysis analysis, double seconds,
                         long trainingTokens) {
    }

    private ScalingSweepExperiment() {
    }

    /** The plan of a budget. */
    public static Plan plan(ExperimentBudget budget) {
        Size w16l1 = new Size(16, 1);
        Size w32l1 = new Size(32, 1);
        Size w48l1 = new Size(48, 1);
        Size w64l2 = new Size(64, 2);
        Size w96l2 = new Size(96, 2);
        Size w128l2 = new Size(128, 2);
        Size w160l3 = new Size(160, 3);
        Size w192l4 = new Size(192, 4);
        Size w256l4 = new Size(256, 4);
        return switch (budget) {
            case SMOKE -> new Plan(List.of(new Budget(3e10, List.of(w32l1, w48l1, w64l2)),
                    new Budget(1e11, List.of(w32l1, w48l1, w64l2))), 64, 8, 3e-3, 24, 8, 60, 20);
            case SMALL -> new Plan(List.of(new Budget(1e12, List.of(w16l1, w32l1, w48l1, w64l2, w96l2)),
                    new Budget(1.8e12, List.of(w16l1, w32l1, w48l1, w64l2, w96l2)),
                    new Budget(3.2e12, List.of(w32l1, w48l1, w64l2, w96l2, w128l2))), 128, 8, 3e-3, 0, 48, 15 * 60,
                    200);
            case FULL -> new Plan(List.of(new Budget(1e12, List.of(w16l1, w32l1, w48l1, w64l2, w96l2)),
                    new Budget(2e12, List.of(w16l1, w32l1, w48l1, w64l2, w96l2, w128l2)),
                    new Budget(4e12, List.of(w32l1, w48l1, w64l2, w96l2, w128l2, w160l3)),
                    new Budget(8e12, List.of(w32l1, w48l1, w64l2, w96l2, w128l2, w160l3, w192l4)),
                    new Budget(1.6e13, List.of(w48l1, w64l2, w96l2, w128l2, w160l3, w192l4, w256l4)),
                    new Budget(3.2e13, List.of(w64l2, w96l2, w128l2, w160l3, w192l4, w256l4))), 128, 8, 3e-3, 0, 256,
                    4 * 3600, 1000);
        };
    }

    /** Runs the plan, writing each run's trainer folder under {@code output/runs/} and the results into output. */
    public static Result run(Plan plan, Path output, long seed) throws IOException {
        long started = System.nanoTime();
        Files.createDirectories(output);
        Path tokenizerDir = EmbeddedModel.writeTokenizer(output.resolve("tokenizer"));
        Tokenizer tokenizer = Tokenizer.load(tokenizerDir);
        BrownCorpus.Split split = BrownCorpus.languageModelingSplit(plan.documents());
        List<Example> train = split.train();
        List<Example> heldOut = split.heldOut();
        SftTokenization tokenization = new SftTokenization(tokenizer, true);
        List<TokenizedSequence> trainRows = SftTokenization.pack(tokenization.tokenizeAll(train, 0), plan.seq());
        List<TokenizedSequence> heldOutRows = SftTokenization.pack(tokenization.tokenizeAll(heldOut, 0), plan.seq());
        heldOutRows = heldOutRows.subList(0, Math.min(plan.heldOutRows(), heldOutRows.size()));

        List<SweepRun> runs = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        double trainedFlops = 0;
        double trainedSeconds = 0;
        for (Budget budget : plan.budgets()) {
            double compute = budget.compute();
            for (Size size : budget.sizes()) {
                ModelConfig config = EmbeddedModelFamily.config(size.width(), size.layers());
                long parameters = EmbeddedModelFamily.parameters(config);
                long tokensPerStep = (long) plan.seq() * plan.batch();
                long steps = Math.max(1, Math.round(compute / (6.0 * parameters) / tokensPerStep));
                double elapsed = (System.nanoTime() - started) / 1e9;
                double estimate = trainedSeconds > 0 ? 6.0 * parameters * steps * tokensPerStep
                        * trainedSeconds / trainedFlops : 0;
                // Two significant digits: 1.8e12 and 3.2e12 keep their own folders (w32-l1-C1.8e12, w32-l1-C1e12).
                String name = size.name() + String.format(Locale.ROOT, "-C%.1e", compute).replace("+", "")
                        .replace(".0e", "e");
                if (elapsed + estimate > plan.timeLimitSeconds()) {
                    skipped.add(String.format(Locale.ROOT, "%s (estimated %.0f s, %.0f s of %.0f s used)", name,
                            estimate, elapsed, plan.timeLimitSeconds()));
                    continue;
                }
                SweepRun run = train(config, size, compute, steps, plan, trainRows, heldOutRows, tokenizer, tokenizerDir,
                        output.resolve("runs").resolve(name), seed);
                runs.add(run);
                trainedFlops += run.compute();
                trainedSeconds += run.seconds();
                System.out.printf(Locale.ROOT, "%s: N = %d, D = %d, held-out loss %.4f (%.1f s)%n", name,
                        run.parameters(), run.tokens(), run.heldOutLoss(), run.seconds());
            }
        }
        long trainingTokens = trainRows.stream().mapToLong(TokenizedSequence::length).sum();
        DataRepetition repetition = new DataRepetition(trainingTokens, DataRepetition.MUENNIGHOFF_DECAY);
        writeCsv(runs, repetition, output.resolve("runs.csv"));
        List<TrainingRun> fitted = runs.stream().map(SweepRun::trainingRun).toList();
        ScalingLawAnalysis analysis = null;
        if (fitted.size() >= 6) {
            analysis = ScalingLawAnalysis.run(fitted, new ScalingLawAnalysis.Options(ChinchillaLaw.paperStartGrid(),
                    "the paper's grid (4500 starts)", HuberLogLossFit.CHINCHILLA_DELTA,
                    plan.bootstrapSamples(), seed, ISOFLOP_GAP_DECADES, 3, repetition));
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        Result result = new Result(List.copyOf(runs), List.copyOf(skipped), analysis, seconds, trainingTokens);
        writeResults(result, plan, repetition, output);
        return result;
    }

    private static SweepRun train(ModelConfig config, Size size, double compute, long steps, Plan plan,
                                  List<TokenizedSequence> trainRows, List<TokenizedSequence> heldOutRows,
                                  Tokenizer tokenizer,
                                  Path tokenizerDir, Path runDir, long seed) throws IOException {
        CausalLM model = Models.randomInit(config, seed);
        TrainingArguments args = TrainingArguments.defaults().withOptions(Map.ofEntries(
                Map.entry("output_dir", runDir.toString()), Map.entry("learning_rate", plan.learningRate()),
                Map.entry("lr_scheduler_type", "cosine"), Map.entry("warmup_ratio", 0.05),
                Map.entry("max_steps", steps), Map.entry("per_device_train_batch_size", plan.batch()),
                Map.entry("per_device_eval_batch_size", plan.batch()), Map.entry("weight_decay", 0.1),
                Map.entry("adam_beta2", 0.95), Map.entry("logging_steps", Math.max(1, steps / 10)),
                Map.entry("save_strategy", "no"), Map.entry("disable_tqdm", true), Map.entry("plot_loss", false),
                Map.entry("seed", seed)));
        Trainer<TokenizedSequence> trainer = SftTrainer.forSequences(model, null, tokenizer, tokenizerDir, args,
                trainRows, heldOutRows);
        long t0 = System.nanoTime();
        TrainOutput out = trainer.train();
        double seconds = (System.nanoTime() - t0) / 1e9;
        double heldOut = trainer.evaluate().get("eval_loss");
        // The sweep keeps each run's logs, not its weights.
        Files.deleteIfExists(runDir.resolve("model.safetensors"));
        return new SweepRun(size, compute, EmbeddedModelFamily.parameters(config),
                EmbeddedModelFamily.nonEmbeddingParameters(config), trainer.state().numInputTokensSeen(),
                out.globalStep(), heldOut, out.trainingLoss(), seconds);
    }

    private static void writeCsv(List<SweepRun> runs, DataRepetition repetition, Path file) throws IOException {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            out.write("name,width,layers,planned_compute,parameters,non_embedding_parameters,tokens,epochs,"
                    + "effective_tokens,compute,compute_non_embedding,loss,train_loss,steps,train_seconds\n");
            for (SweepRun r : runs) {
                out.write(String.format(Locale.ROOT, "%s,%d,%d,%s,%d,%d,%d,%s,%s,%s,%s,%s,%s,%d,%.2f%n",
                        r.size().name(), r.size().width(), r.size().layers(), r.plannedCompute(), r.parameters(),
                        r.nonEmbedding(), r.tokens(), r.tokens() / repetition.uniqueTokens(),
                        repetition.effectiveTokens(r.tokens()), r.compute(), 6.0 * r.nonEmbedding() * r.tokens(),
                        r.heldOutLoss(), r.trainingLoss(), r.steps(), r.seconds()));
            }
        }
    }

    private static void writeResults(Result result, Plan plan, DataRepetition repetition, Path output)
            throws IOException {
        ObjectNode data = JsonNodeFactory.instance.objectNode();
        data.put("corpus", "bundled Brown fiction, every " + BrownCorpus.HELD_OUT_EVERY + "st document held out");
        data.put("seq", plan.seq());
        data.put("batch", plan.batch());
        data.put("learning_rate", plan.learningRate());
        data.put("time_limit_seconds", plan.timeLimitSeconds());
        data.put("seconds", result.seconds());
        data.put("training_tokens", result.trainingTokens());
        data.put("parameter_count", "all parameters, the tied embedding included");
        long beyondOnePass = result.runs().stream().filter(r -> r.tokens() > result.trainingTokens()).count();
        data.put("data_repetition", REPETITION_MODELLED);
        data.put("runs_beyond_one_pass", beyondOnePass);
        ArrayNode runs = data.putArray("runs");
        for (SweepRun r : result.runs()) {
            ObjectNode row = runs.addObject();
            row.put("name", r.size().name());
            row.put("planned_compute", r.plannedCompute());
            row.put("parameters", r.parameters());
            row.put("non_embedding_parameters", r.nonEmbedding());
            row.put("tokens", r.tokens());
            row.put("epochs", r.tokens() / (double) result.trainingTokens());
            row.put("effective_tokens", repetition.effectiveTokens(r.tokens()));
            row.put("compute", r.compute());
            row.put("held_out_loss", r.heldOutLoss());
            row.put("train_loss", r.trainingLoss());
            row.put("steps", r.steps());
            row.put("train_seconds", r.seconds());
        }
        ArrayNode skipped = data.putArray("skipped");
        result.skipped().forEach(skipped::add);
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Embedded model family on the bundled Brown fiction (every %dst document"
                        + " held out; %d training tokens), rows of %d tokens, %d rows a step, AdamW at %.0e with cosine"
                        + " decay; %d runs in %.0f s (limit %.0f s).%n%n", BrownCorpus.HELD_OUT_EVERY,
                result.trainingTokens(), plan.seq(), plan.batch(), plan.learningRate(), result.runs().size(),
                result.seconds(), plan.timeLimitSeconds()));
        md.append(PARAMETER_COUNT).append("\n\n");
        double maxEpochs = result.runs().stream().mapToDouble(r -> r.tokens() / (double) result.trainingTokens())
                .max().orElse(0);
        md.append(String.format(Locale.ROOT, "**Data repetition: %s.** %d of %d runs go beyond one pass over the "
                        + "training tokens (up to %.1f epochs): one pass cannot hold an IsoFLOP minimum here, the "
                        + "compute-optimal size for at most one pass lying below the narrowest member of the family. "
                        + "D' is what a run's tokens are worth as unique ones; approach 2 takes the runs as trained, so "
                        + "its minima are the compute-optimal allocation for this corpus, repeated as often as each "
                        + "budget allows, not Hoffmann et al.'s allocation for unique data.%n%n", REPETITION_MODELLED,
                beyondOnePass, result.runs().size(), maxEpochs));
        md.append("| run | budget C | N (all) | N (non-embedding) | D | epochs | D' | steps | held-out loss | train s |\n"
                + "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (SweepRun r : result.runs()) {
            md.append(String.format(Locale.ROOT, "| %s | %.1e | %d | %d | %d | %.2f | %.0f | %d | %.4f | %.1f |%n",
                    r.size().name(), r.plannedCompute(), r.parameters(), r.nonEmbedding(), r.tokens(),
                    r.tokens() / (double) result.trainingTokens(), repetition.effectiveTokens(r.tokens()), r.steps(),
                    r.heldOutLoss(), r.seconds()));
        }
        if (!result.skipped().isEmpty()) {
            md.append("\nSkipped to respect the time limit: ").append(String.join(", ", result.skipped())).append(".\n");
        }
        if (result.analysis() != null) {
            ScalingLawReport.writeResults(result.analysis(), output, "Scaling sweep of the embedded model family",
                    data, md.toString());
        } else {
            ObjectNode root = JsonNodeFactory.instance.objectNode();
            root.put("claim", ScalingLawReport.CLAIM);
            root.put("measured", "too few runs to fit (" + result.runs().size() + ", at least 6 needed)");
            root.put("held", false);
            root.set("data", data);
            OutputFile.writeString(output.resolve("results.json"),
                    new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(root));
            OutputFile.writeString(output.resolve("report.md"), "# Scaling sweep of the embedded model family\n\n"
                    + "**Claim.** " + ScalingLawReport.CLAIM + "\n\n**Measured.** too few runs to fit.\n\n**Held:** no\n\n" + md);
        }
    }
}
