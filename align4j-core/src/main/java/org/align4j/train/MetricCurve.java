package org.align4j.train;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.align4j.OutputFile;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * A PNG chart of logged metrics against the optimizer step, one line per metric, read from a run's
 * {@code log_history} (e.g. the training {@code loss} and {@code eval_loss}, or DPO's {@code rewards/margins} and
 * {@code eval_rewards/margins}).
 */
public final class MetricCurve {
    private MetricCurve() {
    }

    /**
     * One line of the chart.
     *
     * @param key   the logged name, e.g. {@code rewards/margins}
     * @param label the legend entry
     */
    public record Series(String key, String label) {
    }

    /** A metric's training line and its evaluation line ({@code eval_} + key), labelled "train ..." and "eval ...". */
    public static List<Series> trainAndEval(String key) {
        return List.of(new Series(key, "train " + key), new Series("eval_" + key, "eval " + key));
    }

    /**
     * Plots the finite values of each series' key in {@code logHistory} into {@code file} (written to a temporary
     * file, then renamed).
     *
     * @return false, writing nothing, when no series has a value to plot
     */
    public static boolean write(List<Map<String, Object>> logHistory, Path file, String title, String yAxisTitle,
                                List<Series> series) throws IOException {
        return write(logHistory, file, title, "step", yAxisTitle, series);
    }

    /**
     * {@link #write(List, Path, String, String, List)} against the logged value {@code xKey} (e.g. PPO's
     * {@code episode}) instead of the step.
     */
    public static boolean write(List<Map<String, Object>> logHistory, Path file, String title, String xKey,
                                String yAxisTitle, List<Series> series) throws IOException {
        XYChart chart = new XYChartBuilder().width(800).height(500).title(title).xAxisTitle(xKey)
                .yAxisTitle(yAxisTitle).build();
        boolean plotted = false;
        for (Series s : series) {
            plotted |= addSeries(chart, logHistory, s, xKey);
        }
        if (!plotted) {
            return false;
        }
        savePng(chart, file);
        return true;
    }

    /** Writes {@code chart} as a PNG into {@code file} through {@link OutputFile} (whole, or not at all). */
    public static void savePng(Chart<?, ?> chart, Path file) throws IOException {
        OutputFile.write(file, temporary -> {
            try (OutputStream out = Files.newOutputStream(temporary)) {
                BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
            }
        });
    }

    private static boolean addSeries(XYChart chart, List<Map<String, Object>> logHistory, Series series,
                                     String xKey) {
        List<Double> steps = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        for (Map<String, Object> entry : logHistory) {
            if (entry.get(series.key()) instanceof Number value && entry.get(xKey) instanceof Number step
                    && Double.isFinite(value.doubleValue())) {
                steps.add(step.doubleValue());
                values.add(value.doubleValue());
            }
        }
        if (steps.isEmpty()) {
            return false;
        }
        chart.addSeries(series.label(), steps, values);
        return true;
    }
}
