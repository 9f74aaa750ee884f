package org.align4j.train;

/**
 * HF's {@code TrainerCallback}, reduced to the event callers need so far: {@code on_step_end}, called by the
 * {@link Trainer} after every optimizer step (after the task's own {@link TrainingTask#onStepEnd}, before logging,
 * evaluation and checkpointing) with the run's state. An experiment uses it to evaluate the model every K steps.
 */
@FunctionalInterface
public interface TrainerCallback {
    /** Called after optimizer step {@code state.globalStep()}; the model holds the updated weights. */
    void onStepEnd(TrainerState state);
}
