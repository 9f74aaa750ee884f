package org.align4j.align;

import org.align4j.model.CausalLM;
import org.align4j.nn.LoraModel;

/**
 * TRL's {@code disable_dropout} (true by default in {@code DPOConfig} and {@code RewardConfig}): with it, a model
 * trains without dropout. The models here apply none of their own ({@code attn_pdrop} and the like are not used), so
 * the option reaches LoRA's {@code lora_dropout}, which TRL's {@code disable_dropout_in_model} also turns off.
 */
public final class Dropout {
    private Dropout() {
    }

    /**
     * Turns {@code model}'s LoRA dropout off when {@code disable}; otherwise says, once on standard error, that the
     * model's own dropout is not applied here.
     */
    public static void apply(CausalLM model, boolean disable) {
        if (disable) {
            if (model instanceof LoraModel lora) {
                lora.disableDropout();
            }
        } else {
            System.err.println("warning: disable_dropout false: the model's own dropout (e.g. attn_pdrop) is not"
                    + " applied here; only LoRA's lora_dropout is");
        }
    }
}
