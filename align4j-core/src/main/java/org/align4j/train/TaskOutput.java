package org.align4j.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.align4j.autograd.Var;

/**
 * What a {@link TrainingTask} computes for one batch: the scalar loss, the task's own metrics (logged under their
 * names, averaged over the batches of a logging window, e.g. TRL's {@code mean_token_accuracy} or DPO's
 * {@code rewards/margins}), and the number of tokens the batch held (summed into {@code num_tokens} and used for
 * tokens/s).
 *
 * @param loss    a scalar loss, on the tape the task was given
 * @param metrics task metrics by HF/TRL name, without the {@code eval_} prefix
 * @param tokens  tokens in the batch (non-padding), 0 when the task does not count them
 */
public record TaskOutput(Var loss, Map<String, Double> metrics, long tokens) {

    /** Checks the loss is a scalar and copies the metrics (keeping their order). */
    public TaskOutput {
        if (loss == null || loss.value().size() != 1) {
            throw new IllegalArgumentException("a task's loss must be a scalar, got " + loss);
        }
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        if (tokens < 0) {
            throw new IllegalArgumentException("negative token count " + tokens);
        }
    }

    /** A loss with a token count and no other metrics. */
    public static TaskOutput of(Var loss, long tokens) {
        return new TaskOutput(loss, Map.of(), tokens);
    }

    /** The loss value. */
    public double lossValue() {
        return loss.value().get(0);
    }
}
