package org.align4j.train;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The progress of a training run, saved as {@code trainer_state.json} with the field names of HF Trainer's
 * {@code TrainerState}: {@code global_step}, {@code epoch} (fractional), {@code log_history} (every log and evaluation
 * entry, each with its {@code step}), {@code best_metric}, {@code best_global_step}, {@code best_model_checkpoint},
 * {@code max_steps}, {@code num_train_epochs}, {@code logging_steps}, {@code eval_steps}, {@code save_steps},
 * {@code train_batch_size} and {@code num_input_tokens_seen}.
 */
public final class TrainerState {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    long globalStep;
    double epoch;
    final List<Map<String, Object>> logHistory = new ArrayList<>();
    Double bestMetric;
    Long bestGlobalStep;
    String bestModelCheckpoint;
    long maxSteps;
    long numTrainEpochs;
    long loggingSteps;
    long evalSteps;
    long saveSteps;
    long trainBatchSize;
    long numInputTokensSeen;
    /**
     * The sum of every step's training loss so far ({@code total_loss}, not an HF field), so that a resumed run's
     * {@code train_loss} is the uninterrupted run's; NaN when read from a state written without it.
     */
    double totalLoss;

    TrainerState() {
    }

    /** Optimizer steps taken. */
    public long globalStep() {
        return globalStep;
    }

    /** Epochs done, fractional: completed epochs plus the fraction of the current epoch's micro-batches consumed. */
    public double epoch() {
        return epoch;
    }

    /** Every log and evaluation entry so far, oldest first (read-only). */
    public List<Map<String, Object>> logHistory() {
        return Collections.unmodifiableList(logHistory);
    }

    /** The best value of {@code metric_for_best_model} so far, or null. */
    public Double bestMetric() {
        return bestMetric;
    }

    /** The step of {@link #bestMetric()}, or null. */
    public Long bestGlobalStep() {
        return bestGlobalStep;
    }

    /** The checkpoint folder saved at {@link #bestGlobalStep()}, or null when none was. */
    public String bestModelCheckpoint() {
        return bestModelCheckpoint;
    }

    /** Total optimizer steps of the run. */
    public long maxSteps() {
        return maxSteps;
    }

    /** Tokens consumed so far, as the tasks counted them. */
    public long numInputTokensSeen() {
        return numInputTokensSeen;
    }

    /** The state as HF's {@code trainer_state.json} object. */
    public ObjectNode toJson() {
        ObjectNode node = JSON.createObjectNode();
        node.put("best_global_step", bestGlobalStep);
        node.put("best_metric", bestMetric);
        node.put("best_model_checkpoint", bestModelCheckpoint);
        node.put("epoch", epoch);
        node.put("eval_steps", evalSteps);
        node.put("global_step", globalStep);
        node.set("log_history", JSON.valueToTree(logHistory));
        node.put("logging_steps", loggingSteps);
        node.put("max_steps", maxSteps);
        node.put("num_input_tokens_seen", numInputTokensSeen);
        node.put("num_train_epochs", numTrainEpochs);
        node.put("save_steps", saveSteps);
        node.put("train_batch_size", trainBatchSize);
        node.put("total_loss", totalLoss);
        return node;
    }

    /** Writes {@code trainer_state.json} to {@code file}. */
    public void write(Path file) throws IOException {
        JSON.writeValue(file.toFile(), toJson());
    }

    /**
     * Reads a {@code trainer_state.json}.
     *
     * @throws IllegalArgumentException naming the file when it is not a trainer state
     */
    public static TrainerState read(Path file) {
        JsonNode node;
        try {
            node = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read trainer state: " + e.getMessage(), e);
        }
        if (node == null || !node.isObject() || !node.path("global_step").canConvertToLong()
                || !node.path("log_history").isArray()) {
            throw new IllegalArgumentException(file + ": not a trainer_state.json (needs global_step and log_history)");
        }
        TrainerState state = new TrainerState();
        state.globalStep = node.get("global_step").asLong();
        state.epoch = node.path("epoch").asDouble();
        for (JsonNode entry : node.get("log_history")) {
            state.logHistory.add(JSON.convertValue(entry, new TypeReference<LinkedHashMap<String, Object>>() { }));
        }
        state.bestMetric = node.path("best_metric").isNumber() ? node.get("best_metric").asDouble() : null;
        state.bestGlobalStep = node.path("best_global_step").isNumber() ? node.get("best_global_step").asLong() : null;
        state.bestModelCheckpoint = node.path("best_model_checkpoint").isTextual()
                ? node.get("best_model_checkpoint").asText() : null;
        state.maxSteps = node.path("max_steps").asLong();
        state.numTrainEpochs = node.path("num_train_epochs").asLong();
        state.loggingSteps = node.path("logging_steps").asLong();
        state.evalSteps = node.path("eval_steps").asLong();
        state.saveSteps = node.path("save_steps").asLong();
        state.trainBatchSize = node.path("train_batch_size").asLong();
        state.numInputTokensSeen = node.path("num_input_tokens_seen").asLong();
        state.totalLoss = node.path("total_loss").isNumber() ? node.get("total_loss").asDouble() : Double.NaN;
        return state;
    }
}
