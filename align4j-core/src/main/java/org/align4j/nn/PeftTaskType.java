package org.align4j.nn;

import java.util.List;

/**
 * PEFT's {@code task_type} of an adapter: what the adapted model is, and so which whole modules the adapter file holds
 * beside the LoRA weights ({@code modules_to_save}). PEFT trains and saves a sequence classifier's head in full
 * ({@code PeftModelForSequenceClassification} adds "classifier" and "score" to {@code modules_to_save}); a causal
 * LM's adapter holds LoRA weights only.
 */
public enum PeftTaskType {
    /** A causal language model ({@code AutoModelForCausalLM}). */
    CAUSAL_LM(List.of()),
    /** A sequence classifier, e.g. a reward model ({@code AutoModelForSequenceClassification}). */
    SEQ_CLS(List.of("classifier", "score"));

    private final List<String> modulesToSave;

    PeftTaskType(List<String> modulesToSave) {
        this.modulesToSave = modulesToSave;
    }

    /** The {@code modules_to_save} PEFT records for this task (empty: none, written as null). */
    public List<String> modulesToSave() {
        return modulesToSave;
    }
}
