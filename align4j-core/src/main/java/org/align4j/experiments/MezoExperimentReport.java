package org.align4j.experiments;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.align4j.OutputFile;
import org.align4j.experiments.MezoExperimentResult.Point;
import org.align4j.experiments.MezoExperimentResult.RunResult;
import org.align4j.experiments.MezoExperimentResult.TaskResult;
import org.align4j.train.MetricCurve;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The figures and the report of {@link MezoExperiment}: for each task, {@code TASK_loss_vs_step.png} and
 * {@code TASK_loss_vs_seconds.png} (training loss as lines and held-out loss as markers, one colour per optimizer run)
 * and {@code report.md} (setup, final losses, time per step, peak heap against a forward-only pass).
 */
public final class MezoExperimentReport {
    private static final double MIB = 1048576.0;

    private MezoExperimentReport() {
    }

    /** The file names of the figures of {@code task}. */
    public static List<String> figures(String task) {
        return List.of(task + "_loss_vs_step.png", task + "_loss_vs_seconds.png");
    }

    /** Writes the figures and the report of {@code result} into {@code dir}. */
    public static void write(MezoExperimentResult result, Path dir) throws IOException {
        for (Map.Entry<String, TaskResult> e : result.tasks().entrySet()) {
            List<String> files = figures(e.getKey());
            String title = e.getKey().toUpperCase(Locale.ROOT) + " loss, MeZO vs AdamW";
            MetricCurve.savePng(chart(title + " (against steps)", "step", e.getValue(), p -> p.step()), dir.resolve(files.get(0)));
            MetricCurve.savePng(chart(title + " (against training seconds)", "seconds", e.getValue(), Point::seconds),
                    dir.resolve(files.get(1)));
        }
        OutputFile.writeString(dir.resolve("report.md"), markdown(result));
    }

    private static XYChart chart(String title, String xTitle, TaskResult task, ToDoubleFunction<Point> x) {
        XYChart chart = new XYChartBuilder().width(900).height(560).title(title).xAxisTitle(xTitle).yAxisTitle("loss")
                .build();
        for (Map.Entry<String, RunResult> e : task.runs().entrySet()) {
            List<Point> training = e.getValue().training();
            if (!training.isEmpty()) {
                XYSeries line = chart.addSeries(e.getKey() + " train", xs(training, x), ys(training));
                line.setMarker(SeriesMarkers.NONE);
            }
            List<Point> held = e.getValue().evaluations();
            XYSeries points = chart.addSeries(e.getKey() + " held-out", xs(held, x), ys(held));
            points.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        }
        return chart;
    }

    private static double[] xs(List<Point> points, ToDoubleFunction<Point> x) {
        return points.stream().mapToDouble(x).toArray();
    }

    private static double[] ys(List<Point> points) {
        return points.stream().mapToDouble(Point::loss).toArray();
    }

    private static String markdown(MezoExperimentResult r) {
        StringBuilder md = new StringBuilder();
        md.append("# MeZO vs AdamW (budget `").append(r.budget()).append("`)\n\n").append(r.question()).append("\n\n");
        md.append(String.format(Locale.ROOT, "Model: %.2fM parameters. Start of every run: random initialisation"
                        + " (seed %d) after %d AdamW SFT steps (held-out loss %.3f -> %.3f). MeZO: ε = 1e-3, constant"
                        + " learning rate, no weight decay, one direction per step (the paper's settings); AdamW: the"
                        + " demo's settings. Whole experiment: %.0f s.%n%n", r.parameters() / 1e6, r.seed(),
                r.start().steps(), r.start().evalLossBefore(), r.start().evalLossAfter(), r.runtimeSeconds()));
        for (Map.Entry<String, TaskResult> e : r.tasks().entrySet()) {
            TaskResult t = e.getValue();
            md.append("## ").append(e.getKey().toUpperCase(Locale.ROOT)).append("\n\n").append(t.description())
                    .append(String.format(Locale.ROOT, "; %d training and %d held-out examples.%n%n",
                            t.trainExamples(), t.evalExamples()));
            md.append("| run | lr | steps | s/step | train s | held-out loss start -> end | change | change per"
                    + " 100 s | peak heap MiB | x forward-only |\n|---|---|---|---|---|---|---|---|---|---|\n");
            for (Map.Entry<String, RunResult> run : t.runs().entrySet()) {
                RunResult x = run.getValue();
                double first = x.evaluations().getFirst().loss();
                double change = x.finalEvalLoss() - first;
                md.append(String.format(Locale.ROOT, "| %s | %.0e | %d | %.3f | %.1f | %.4f -> %.4f | %+.4f | %+.4f |"
                                + " %.0f | %.2f |%n", run.getKey(), x.learningRate(), x.steps(), x.secondsPerStep(),
                        x.trainSeconds(), first, x.finalEvalLoss(), change, 100 * change / x.trainSeconds(),
                        x.peakHeapBytes() / MIB, x.peakHeapBytes() / (double) t.forwardOnlyPeakHeapBytes()));
            }
            md.append(String.format(Locale.ROOT, "%nForward-only pass over the same batches: peak heap %.0f MiB.%n%n",
                    t.forwardOnlyPeakHeapBytes() / MIB));
            List<String> files = figures(e.getKey());
            md.append("![").append(files.get(0)).append("](").append(files.get(0)).append(")\n![")
                    .append(files.get(1)).append("](").append(files.get(1)).append(")\n\n");
        }
        md.append("Peak heap is HeapPeak's sum of the heap pools' peaks over the whole run (evaluations included):"
                + " an upper bound that includes garbage in flight. With a small fixed young generation, garbage that"
                + " outlives a step is promoted and the old generation fills with it (AdamW's backward allocates most);"
                + " with a large one, the young generation's capacity dominates every run alike. Run with a young"
                + " generation that holds one step's garbage (`ALIGN4J_JAVA_OPTS=-Xmn256m` for the embedded model), and"
                + " see `align4j bench train-step --optim mezo|forward|adamw_torch` for one step alone.\n");
        return md.toString();
    }
}
