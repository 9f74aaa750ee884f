package org.align4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The loss curve of a run as a PNG (LLaMA-Factory's {@code training_loss.png}): the logged training {@code loss} and,
 * when the run evaluated, {@code eval_loss}, against the optimizer step ({@link MetricCurve}).
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
        return MetricCurve.write(logHistory, file, "Loss", "loss", List.of(new MetricCurve.Series("loss", "train loss"),
                new MetricCurve.Series("eval_loss", "eval loss")));
    }
}
