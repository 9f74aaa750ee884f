package org.align4j.align;

import java.util.function.Function;
import org.align4j.model.CausalLM;
import org.align4j.model.Models;
import org.align4j.model.io.Dtype;
import org.align4j.nn.LoraModel;

/**
 * The frozen reference of a trainer that needs one (KTO, GRPO and RLOO with β ≠ 0): the given model, else the LoRA
 * policy with its adapters disabled (TRL's behaviour for a PEFT model without {@code ref_model}, so that one model is
 * in memory), else a frozen float32 copy of the policy as it is when the run starts. Forward passes only.
 */
public final class ReferencePolicy {
    private final CausalLM model;
    private final LoraModel adaptersOff;

    private ReferencePolicy(CausalLM model, LoraModel adaptersOff) {
        this.model = model;
        this.adaptersOff = adaptersOff;
    }

    /** The reference of {@code policy}: {@code refModel} when given (see the class comment). */
    public static ReferencePolicy of(CausalLM policy, CausalLM refModel) {
        if (refModel != null) {
            return new ReferencePolicy(refModel, null);
        }
        if (policy instanceof LoraModel lora) {
            return new ReferencePolicy(null, lora);
        }
        return new ReferencePolicy(Models.frozenCopy(policy, Dtype.F32), null);
    }

    /** What {@code forward} computes with the reference model (the LoRA policy's adapters disabled meanwhile). */
    public <T> T apply(Function<CausalLM, T> forward) {
        if (adaptersOff == null) {
            return forward.apply(model);
        }
        try (LoraModel.AdapterDisabled off = adaptersOff.disableAdapter()) {
            return forward.apply(adaptersOff);
        }
    }
}
