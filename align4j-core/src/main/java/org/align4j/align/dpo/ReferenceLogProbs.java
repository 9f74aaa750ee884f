package org.align4j.align.dpo;

/**
 * Where a DPO run gets log π_ref(y | x) for the completions of a batch. The reference of DPO (Rafailov et al. 2023,
 * eq. 7) is frozen: implementations never change during an optimizer step and carry no gradient.
 *
 * <p>Implementations: {@link ModelReference} runs a frozen model (a separate checkpoint, TRL's {@code ref_model}, or
 * a frozen copy of the starting policy, TRL's default) forward only on an inference tape; {@link PrecomputedReference}
 * reads values computed once before training ({@code precompute_ref_log_probs}). A LoRA policy can use itself with its
 * adapters disabled as the reference by implementing this with
 * {@code batch.sequenceLogps(batch.tokenLogProbs(Tape.inference(), policyWithoutAdapters), reduction)}.
 */
public interface ReferenceLogProbs {

    /**
     * The reference log-probabilities of the batch's chosen and rejected completions, reduced by {@code reduction}
     * exactly as the policy's are (plain sums, or LD-DPO's weighted sums).
     */
    PreferenceBatch.SequenceLogps logps(PreferenceBatch batch, CompletionLogpReduction reduction);
}
