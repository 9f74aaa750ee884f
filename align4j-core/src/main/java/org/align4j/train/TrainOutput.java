package org.align4j.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The result of {@link Trainer#train()}, as HF Trainer's {@code TrainOutput}.
 *
 * @param globalStep   optimizer steps taken in total (including those before a resumed checkpoint)
 * @param trainingLoss mean loss over the optimizer steps of this run
 * @param metrics      the final summary: {@code train_runtime}, {@code train_samples_per_second},
 *                     {@code train_steps_per_second}, {@code train_loss}, {@code epoch}
 */
public record TrainOutput(long globalStep, double trainingLoss, Map<String, Double> metrics) {
    /** Copies the metrics. */
    public TrainOutput {
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }
}
