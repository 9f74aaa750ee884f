package org.align4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.List;

/**
 * Where the {@link Trainer}'s training micro-batches come from: an epoch is a fixed number of micro-batches, each a
 * pure function of (epoch, index) and the source's saved state, so that a resumed run is given the micro-batches an
 * uninterrupted one would have been. A dataset is one source ({@link DatasetBatches}: HF Trainer's seeded shuffle);
 * an online algorithm is another, whose micro-batches are completions it samples from the policy being trained
 * (TRL's {@code GRPOTrainer._prepare_inputs}).
 *
 * @param <B> the example type the task's loss takes
 */
public interface BatchSource<B> {

    /**
     * One micro-batch.
     *
     * @param items   the examples given to {@link TrainingTask#loss}
     * @param indices the indices of the dataset examples they came from, named when the loss is not finite
     */
    record MicroBatch<B>(List<B> items, int[] indices) {
    }

    /** Number of dataset examples an epoch visits (checked when resuming). */
    int examples();

    /** Micro-batches in each epoch (> 0). */
    int microBatchesPerEpoch();

    /** Micro-batch {@code index} of epoch {@code epoch}; the trainer asks for them in order. */
    MicroBatch<B> microBatch(int epoch, int index);

    /** State beyond (epoch, index) that a checkpoint must carry, e.g. sampled completions not yet used. */
    default JsonNode state() {
        return JsonNodeFactory.instance.objectNode();
    }

    /**
     * Restores what {@link #state} returned.
     *
     * @throws org.align4j.InputException when the state is not one this source can resume from
     */
    default void restoreState(JsonNode state) {
    }
}
