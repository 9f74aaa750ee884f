package org.align4j.align.dpo;

import org.align4j.autograd.Tape;
import org.align4j.nn.LoraModel;

/**
 * The reference of a LoRA policy: the policy itself with its adapters disabled (TRL's behaviour when training a PEFT
 * model with no {@code ref_model}), so that one model is in memory. Forward only, on an inference tape.
 */
public final class AdapterDisabledReference implements ReferenceLogProbs {
    private final LoraModel policy;

    /** The reference of {@code policy}: its base model, seen through the adapter switch. */
    public AdapterDisabledReference(LoraModel policy) {
        this.policy = policy;
    }

    @Override
    public PreferenceBatch.SequenceLogps logps(PreferenceBatch batch, CompletionLogpReduction reduction) {
        try (LoraModel.AdapterDisabled off = policy.disableAdapter()) {
            return batch.sequenceLogps(batch.tokenLogProbs(Tape.inference(), policy), reduction);
        }
    }
}
