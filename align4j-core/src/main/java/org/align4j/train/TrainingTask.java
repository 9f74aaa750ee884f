package org.align4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;

/**
 * What an algorithm (SFT, reward modelling, DPO, C-RLFT...) supplies to the shared {@link Trainer}: it owns its
 * model(s), turns a batch of its examples into a loss, and decides what a checkpoint's model files are. The
 * trainer knows nothing about tokenizers or example formats: a batch is just a list of {@code B}.
 *
 * <p>A DPO task, for example, holds the policy and a frozen reference model; its {@link #trainableParameters} are
 * the policy's, its {@link #loss} runs the reference on an inference tape and the policy on the given tape, and
 * {@link #saveModel} writes the policy (or, for LoRA, the adapter).
 *
 * @param <B> the example type (a tokenized sequence, a preference pair...)
 */
public interface TrainingTask<B> {

    /**
     * The parameters the optimizer updates, by name (the names key the optimizer state); the same map on every
     * call. Frozen models are not in it.
     */
    Map<String, Var> trainableParameters();

    /**
     * The loss of one micro-batch. For training the tape records and the trainer back-propagates from the returned
     * loss (after scaling it for gradient accumulation); for evaluation it is an inference tape.
     */
    TaskOutput loss(Tape tape, List<B> batch);

    /**
     * Called after every optimizer step with the new global step, before logging, evaluation and checkpointing (HF's
     * {@code on_step_end} callback), e.g. for TR-DPO's reference update. Does nothing by default.
     */
    default void onStepEnd(long globalStep) {
    }

    /** The loss of one evaluation batch: by default {@link #loss} on an inference tape. */
    default TaskOutput evaluationLoss(List<B> batch) {
        return loss(Tape.inference(), batch);
    }

    /**
     * Writes the trained model's files (e.g. config.json and model.safetensors, or a LoRA adapter) into
     * {@code directory}, which exists and is being filled; the trainer calls it for checkpoints and the final save.
     */
    void saveModel(Path directory);

    /**
     * Writes the final model's files into {@code directory} (which exists and is being filled) at the end of
     * training; by default {@link #saveModel}'s. Checkpoints keep the float32 training weights so that resuming is
     * exact; a task whose model is saved in another dtype (its input checkpoint's, or one chosen) writes it here.
     */
    default void saveFinalModel(Path directory) {
        saveModel(directory);
    }

    /** Restores the trainable parameters from what {@link #saveModel} wrote into {@code directory} (resuming). */
    void loadModel(Path directory);

    /**
     * The task's random-generator state, saved in a checkpoint's {@code rng_state.json} (e.g. a sampling seed and
     * counter); an empty object when the task uses no randomness.
     */
    default JsonNode rngState() {
        return JsonNodeFactory.instance.objectNode();
    }

    /** Restores what {@link #rngState} returned. */
    default void restoreRngState(JsonNode state) {
    }
}
