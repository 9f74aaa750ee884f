package org.align4j.train;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/**
 * The loss curve of a run as a PNG (LLaMA-Factory's {@code training_loss.png}): the logged training {@code loss} and,
 * when the run evaluated, {@code eval_loss}, against the optimizer step.
 */
public final class LossCurve {
    /** The file name in the output directory. */
    public static final String FILE_NAME = "training_loss.png";

    private LossCurve() {
    }

    /**
     * Plots the {@code loss} and {@code eval_loss} entries of {@code logHistory} into {@code file} (written to a
     * temporary file, then renamed).
     *
     * @return false, writing nothing, when the history holds no loss to plot
     */
    public static boolean write(List<Map<String, Object>> logHistory, Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(800).height(500).title("Loss").xAxisTitle("step")
                .yAxisTitle("loss").build();
        boolean plotted = addSeries(chart, logHistory, "loss", "train loss");
        plotted |= addSeries(chart, logHistory, "eval_loss", "eval loss");
        if (!plotted) {
            return false;
        }
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(temporary)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    private static boolean addSeries(XYChart chart, List<Map<String, Object>> logHistory, String key, String label) {
        List<Double> steps = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        for (Map<String, Object> entry : logHistory) {
            if (entry.get(key) instanceof Number value && entry.get("step") instanceof Number step
                    && Double.isFinite(value.doubleValue())) {
                steps.add(step.doubleValue());
                values.add(value.doubleValue());
            }
        }
        if (steps.isEmpty()) {
            return false;
        }
        chart.addSeries(label, steps, values);
        return true;
    }
}
