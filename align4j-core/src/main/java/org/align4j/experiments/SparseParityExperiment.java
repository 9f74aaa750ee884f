package org.align4j.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.align4j.OutputFile;
import org.align4j.scaling.ParityMlp;
import org.align4j.scaling.PowerLaw;
import org.align4j.scaling.ScalingCharts;
import org.align4j.scaling.SparseParity;
import org.align4j.train.Trainer;
import org.align4j.train.TrainingArguments;
import org.knowm.xchart.XYChart;

/**
 * The multitask sparse parity experiment of Michaud et al. (2023), "The Quantization Model of Neural Scaling",
 * Section 3 / Figure 3, on the engine: one-hidden-layer MLPs ({@link ParityMlp}) of several widths are trained with
 * the shared {@link Trainer} (AdamW) on the same stream of {@link SparseParity} examples, and each task's held-out
 * loss is measured. The quantization model predicts the tasks ("quanta") are learned in order of frequency as width
 * grows; the claim tested is that the rank correlation between a task's frequency rank and the smallest width that
 * learns it (held-out loss below {@link #LEARNED_NATS}) is at least 0.5, and that the mean loss falls from the
 * smallest to the largest width. The mean loss against parameters is also fitted with a power law, whose exponent
 * the model predicts to be α = exponent − 1 where enough tasks are learned (reported, not tested).
 *
 * <p>Budgets: {@code smoke} (4 tasks, 3 widths, seconds), {@code small} (16 tasks of 24 bits, 7 widths up to 256,
 * 6,000 steps each: about 25 seconds on two cores), {@code full} (32 tasks of 32 bits, 9 widths up to 1024, 20,000
 * steps of 512 examples each: about 5 minutes on two cores).
 */
public final class SparseParityExperiment {
    /** A task counts as learned below this held-out loss (chance is ln 2 ≈ 0.693 nats). */
    public static final double LEARNED_NATS = 0.1;
    /** The claim tested. */
    public static final String CLAIM = "Quanta are learned in order of frequency (Michaud et al. 2023): the Spearman "
            + "correlation between a task's frequency rank and the smallest MLP width that learns it (held-out loss < "
            + LEARNED_NATS + " nats) is at least 0.5, and the mean held-out loss falls from the smallest to the "
            + "largest width.";

    /**
     * What a budget trains.
     *
     * @param tasks        number of tasks
     * @param bits         data bits
     * @param subsetSize   k
     * @param exponent     Zipf exponent of task frequencies (Michaud et al.: 1.4)
     * @param widths       hidden widths
     * @param steps        optimizer steps per width
     * @param batch        examples per step
     * @param learningRate AdamW learning rate (constant)
     * @param heldOutPerTask held-out examples per task
     */
    public record Plan(int tasks, int bits, int subsetSize, double exponent, int[] widths, int steps, int batch,
                       double learningRate, int heldOutPerTask) {
    }

    /**
     * One trained width.
     *
     * @param width       hidden width
     * @param parameters  parameter count
     * @param meanLoss    held-out loss averaged over examples drawn by task frequency (the per-task losses
     *                    weighted by frequency)
     * @param taskLosses  held-out loss of each task
     * @param seconds     training seconds
     */
    public record WidthResult(int width, long parameters, double meanLoss, double[] taskLosses, double seconds) {
    }

    /**
     * The outcome.
     *
     * @param widths          per width
     * @param learnedAtWidth  per task, the smallest width that learned it (0 when none did)
     * @param spearman        rank correlation of frequency rank and learning width (unlearned tasks ranked last)
     * @param meanLossLaw     mean loss = k · parameters^p over the widths
     * @param held            whether the claim held
     */
    public record Result(List<WidthResult> widths, int[] learnedAtWidth, double spearman, PowerLaw meanLossLaw,
                         boolean held) {
    }

    private SparseParityExperiment() {
    }

    /** The plan of a budget. */
    public static Plan plan(ExperimentBudget budget) {
        return switch (budget) {
            case SMOKE -> new Plan(4, 12, 3, 1.4, new int[] {2, 8, 48}, 600, 128, 1e-2, 256);
            case SMALL -> new Plan(16, 24, 3, 1.4, new int[] {4, 8, 16, 32, 64, 128, 256}, 6000, 256, 5e-3, 512);
            case FULL -> new Plan(32, 32, 3, 1.4, new int[] {4, 8, 16, 32, 64, 128, 256, 512, 1024}, 20000, 512,
                    3e-3, 2048);
        };
    }

    /** Trains every width, writes results.json, report.md and the figures into {@code output}. */
    public static Result run(Plan plan, Path output, long seed) throws IOException {
        Files.createDirectories(output);
        SparseParity data = SparseParity.create(plan.tasks(), plan.bits(), plan.subsetSize(), plan.exponent(), seed);
        SplittableRandom rng = new SplittableRandom(seed + 1);
        double[] cumulative = data.cumulativeProbabilities();
        List<SparseParity.Sample> train = new ArrayList<>(plan.steps() * plan.batch());
        for (int i = 0; i < plan.steps() * plan.batch(); i++) {
            train.add(data.sample(rng, cumulative));
        }
        List<SparseParity.Sample> heldOut = new ArrayList<>();
        for (int t = 0; t < plan.tasks(); t++) {
            for (int i = 0; i < plan.heldOutPerTask(); i++) {
                heldOut.add(data.sample(t, rng));
            }
        }
        double[] frequency = data.taskProbabilities();
        List<WidthResult> widths = new ArrayList<>();
        for (int width : plan.widths()) {
            ParityMlp mlp = new ParityMlp(data, width, seed);
            TrainingArguments args = TrainingArguments.defaults().withOptions(Map.ofEntries(
                    Map.entry("output_dir", output.resolve("runs").resolve("width-" + width).toString()),
                    Map.entry("learning_rate", plan.learningRate()), Map.entry("lr_scheduler_type", "constant"),
                    Map.entry("max_steps", plan.steps()), Map.entry("per_device_train_batch_size", plan.batch()),
                    Map.entry("logging_steps", Math.max(1, plan.steps() / 20)), Map.entry("save_strategy", "no"),
                    Map.entry("disable_tqdm", true), Map.entry("plot_loss", false), Map.entry("seed", seed)));
            long t0 = System.nanoTime();
            new Trainer<>(args, mlp, train, List.of()).train();
            double seconds = (System.nanoTime() - t0) / 1e9;
            double[] losses = mlp.lossPerTask(heldOut);
            double mean = 0;
            for (int t = 0; t < losses.length; t++) {
                mean += frequency[t] * losses[t];
            }
            widths.add(new WidthResult(width, mlp.parameterCount(), mean, losses, seconds));
            System.out.printf(Locale.ROOT, "width %d (%d parameters): mean held-out loss %.4f, %d of %d tasks learned"
                            + " (%.1f s)%n", width, mlp.parameterCount(), mean,
                    Arrays.stream(losses).filter(l -> l < LEARNED_NATS).count(), plan.tasks(), seconds);
        }
        int[] learnedAt = new int[plan.tasks()];
        for (int t = 0; t < plan.tasks(); t++) {
            for (WidthResult w : widths) {
                if (w.taskLosses()[t] < LEARNED_NATS) {
                    learnedAt[t] = w.width();
                    break;
                }
            }
        }
        double[] rank = new double[plan.tasks()];
        double[] when = new double[plan.tasks()];
        for (int t = 0; t < plan.tasks(); t++) {
            rank[t] = t;
            when[t] = learnedAt[t] == 0 ? Double.POSITIVE_INFINITY : learnedAt[t];
        }
        double spearman = spearman(rank, when);
        PowerLaw law = PowerLaw.fit(widths.stream().mapToDouble(WidthResult::parameters).toArray(),
                widths.stream().mapToDouble(WidthResult::meanLoss).toArray());
        boolean held = spearman >= 0.5 && widths.getLast().meanLoss() < widths.getFirst().meanLoss();
        Result result = new Result(List.copyOf(widths), learnedAt, spearman, law, held);
        write(result, plan, data, output);
        return result;
    }

    /**
     * Spearman's rank correlation: Pearson's correlation of the ranks, ties given their mean rank (infinities tie
     * with each other, last).
     */
    static double spearman(double[] x, double[] y) {
        double[] rx = ranks(x);
        double[] ry = ranks(y);
        double mx = Arrays.stream(rx).average().orElseThrow();
        double my = Arrays.stream(ry).average().orElseThrow();
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < rx.length; i++) {
            sxy += (rx[i] - mx) * (ry[i] - my);
            sxx += (rx[i] - mx) * (rx[i] - mx);
            syy += (ry[i] - my) * (ry[i] - my);
        }
        return sxx == 0 || syy == 0 ? 0 : sxy / Math.sqrt(sxx * syy);
    }

    private static double[] ranks(double[] v) {
        Integer[] order = new Integer[v.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> Double.compare(v[a], v[b]));
        double[] ranks = new double[v.length];
        int i = 0;
        while (i < v.length) {
            int j = i;
            while (j + 1 < v.length && Double.compare(v[order[j + 1]], v[order[i]]) == 0) {
                j++;
            }
            double mean = (i + j) / 2.0;
            for (int k = i; k <= j; k++) {
                ranks[order[k]] = mean;
            }
            i = j + 1;
        }
        return ranks;
    }

    private static void write(Result result, Plan plan, SparseParity data, Path output) throws IOException {
        double[] frequency = data.taskProbabilities();
        String measured = String.format(Locale.ROOT, "Spearman correlation %.3f between frequency rank and learning"
                        + " width; mean held-out loss %.4f at width %d, %.4f at width %d; mean loss ∝ N^%.3f"
                        + " (quantization model: −%.2f)", result.spearman(), result.widths().getFirst().meanLoss(),
                result.widths().getFirst().width(), result.widths().getLast().meanLoss(),
                result.widths().getLast().width(), result.meanLossLaw().exponent(), plan.exponent() - 1);
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("claim", CLAIM);
        root.put("measured", measured);
        root.put("held", result.held());
        ObjectNode setup = root.putObject("setup");
        setup.put("tasks", plan.tasks());
        setup.put("bits", plan.bits());
        setup.put("k", plan.subsetSize());
        setup.put("exponent", plan.exponent());
        setup.put("steps", plan.steps());
        setup.put("batch", plan.batch());
        setup.put("learning_rate", plan.learningRate());
        setup.put("held_out_per_task", plan.heldOutPerTask());
        ArrayNode frequencies = setup.putArray("task_frequencies");
        Arrays.stream(frequency).forEach(frequencies::add);
        ArrayNode widths = root.putArray("widths");
        for (WidthResult w : result.widths()) {
            ObjectNode row = widths.addObject();
            row.put("width", w.width());
            row.put("parameters", w.parameters());
            row.put("mean_loss", w.meanLoss());
            row.put("train_seconds", w.seconds());
            ArrayNode tasks = row.putArray("task_losses");
            Arrays.stream(w.taskLosses()).forEach(tasks::add);
        }
        ArrayNode learned = root.putArray("learned_at_width");
        Arrays.stream(result.learnedAtWidth()).forEach(learned::add);
        root.put("spearman", result.spearman());
        ObjectNode law = root.putObject("mean_loss_vs_parameters");
        law.put("coefficient", result.meanLossLaw().coefficient());
        law.put("exponent", result.meanLossLaw().exponent());
        law.put("predicted_exponent", -(plan.exponent() - 1));
        OutputFile.writeString(output.resolve("results.json"),
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root));
        writeFigures(result, plan, output);

        StringBuilder md = new StringBuilder("# Multitask sparse parity: the quantization model of neural scaling\n\n");
        md.append("**Claim.** ").append(CLAIM).append("\n\n**Measured.** ").append(measured).append("\n\n**Held:** ")
                .append(result.held() ? "yes" : "no").append("\n\n");
        md.append(String.format(Locale.ROOT, "%d tasks, %d data bits, parity of k = %d bits, task frequency ∝ "
                        + "(i+1)^-%.2f; one-hidden-layer GELU MLPs trained for %d AdamW steps of %d fresh examples"
                        + " at learning rate %g; %d held-out examples per task.%n%n", plan.tasks(), plan.bits(),
                plan.subsetSize(), plan.exponent(), plan.steps(), plan.batch(), plan.learningRate(),
                plan.heldOutPerTask()));
        md.append("| width | parameters | mean loss | tasks learned | train s |\n| --- | --- | --- | --- | --- |\n");
        for (WidthResult w : result.widths()) {
            md.append(String.format(Locale.ROOT, "| %d | %d | %.4f | %d | %.1f |%n", w.width(), w.parameters(),
                    w.meanLoss(), Arrays.stream(w.taskLosses()).filter(l -> l < LEARNED_NATS).count(), w.seconds()));
        }
        md.append("\n| task | frequency | learned at width |\n| --- | --- | --- |\n");
        for (int t = 0; t < plan.tasks(); t++) {
            md.append(String.format(Locale.ROOT, "| %d | %.4f | %s |%n", t, frequency[t],
                    result.learnedAtWidth()[t] == 0 ? "not learned" : Integer.toString(result.learnedAtWidth()[t])));
        }
        md.append("\n![mean loss](mean-loss.png)\n![per-task loss](task-loss.png)\n");
        OutputFile.writeString(output.resolve("report.md"), md.toString());
    }

    private static void writeFigures(Result result, Plan plan, Path output) throws IOException {
        double[] parameters = result.widths().stream().mapToDouble(WidthResult::parameters).toArray();
        XYChart mean = ScalingCharts.chart("Mean held-out loss against MLP parameters", "parameters", "loss (nats)",
                true, true);
        ScalingCharts.scatter(mean, "mean loss", parameters,
                result.widths().stream().mapToDouble(WidthResult::meanLoss).toArray(), new Color(30, 90, 200));
        double[] curve = ScalingCharts.logSpace(parameters[0], parameters[parameters.length - 1], 40);
        ScalingCharts.line(mean, String.format(Locale.ROOT, "∝ N^%.2f", result.meanLossLaw().exponent()), curve,
                Arrays.stream(curve).map(result.meanLossLaw()::apply).toArray(), new Color(200, 60, 30), true);
        ScalingCharts.write(List.of(mean), 1, 1, output.resolve("mean-loss.png"));

        XYChart tasks = ScalingCharts.chart("Per-task held-out loss against width (task 0 most frequent)",
                "hidden width", "loss (nats)", true, false);
        double[] widths = result.widths().stream().mapToDouble(WidthResult::width).toArray();
        for (int t = 0; t < plan.tasks(); t++) {
            int task = t;
            ScalingCharts.line(tasks, "task " + t, widths,
                    result.widths().stream().mapToDouble(w -> w.taskLosses()[task]).toArray(),
                    ScalingCharts.color(t, plan.tasks()), false);
        }
        ScalingCharts.write(List.of(tasks), 1, 1, output.resolve("task-loss.png"));
    }
}
