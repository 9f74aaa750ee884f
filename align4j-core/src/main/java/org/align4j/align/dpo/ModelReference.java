package org.align4j.align.dpo;

import java.util.Map;
import org.align4j.InputException;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.Models;
import org.align4j.model.io.Dtype;
import org.align4j.tensor.BFloat16;
import org.align4j.tensor.Tensor;

/**
 * A frozen reference model run forward on an inference tape: TRL's {@code ref_model}, or, when none is given, a
 * frozen copy of the policy as it was before training. No activation outlives the forward pass and the model's
 * parameters take no gradient.
 *
 * <p>{@link #mixIn} is TR-DPO's reference update (Gorbatovski et al. 2024, "Learn Your Reference Model for Real Good
 * Alignment", arXiv 2404.09656, soft update of Section 3): π_ref ← α π_θ + (1 − α) π_ref, TRL's
 * {@code sync_ref_model} with {@code ref_model_mixup_alpha} = α.
 */
public final class ModelReference implements ReferenceLogProbs {
    private final CausalLM model;

    /** The reference {@code model} (used as it is; it is not copied). */
    public ModelReference(CausalLM model) {
        if (model == null) {
            throw new IllegalArgumentException("reference model is null");
        }
        this.model = model;
    }

    /** A reference that is a frozen float32 copy of {@code policy}'s current weights. */
    public static ModelReference frozenCopyOf(CausalLM policy) {
        return frozenCopyOf(policy, Dtype.F32);
    }

    /**
     * A reference that is a frozen copy of {@code policy}'s current weights, its weight matrices stored in
     * {@code storage} (float32 or bfloat16, {@link Models#frozenCopy}).
     */
    public static ModelReference frozenCopyOf(CausalLM policy, Dtype storage) {
        return new ModelReference(Models.frozenCopy(policy, storage));
    }

    /** The reference model. */
    public CausalLM model() {
        return model;
    }

    @Override
    public PreferenceBatch.SequenceLogps logps(PreferenceBatch batch, CompletionLogpReduction reduction) {
        return batch.sequenceLogps(batch.tokenLogProbs(Tape.inference(), model), reduction);
    }

    /**
     * TR-DPO's soft update: every reference parameter becomes {@code ref · (1 − alpha) + policy · alpha}, computed in
     * float32 in that order (PyTorch's {@code ref.mul_(1 - alpha).add_(policy, alpha=alpha)}); a bfloat16 reference
     * weight takes the float32 result rounded once to bfloat16.
     *
     * @throws IllegalArgumentException when alpha is outside [0, 1] or the policy's parameters differ in name or shape
     */
    public void mixIn(CausalLM policy, double alpha) {
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new InputException("ref_model_mixup_alpha must be in [0, 1], got " + alpha);
        }
        float keep = (float) (1 - alpha);
        float take = (float) alpha;
        for (Map.Entry<String, Var> e : model.parameters().entrySet()) {
            Var source = policy.parameters().get(e.getKey());
            if (source == null || !source.value().sameShape(e.getValue().value())) {
                throw new IllegalArgumentException("the policy has no parameter '" + e.getKey()
                        + "' of the reference's shape");
            }
            Tensor ref = e.getValue().value();
            float[] pol = source.value().data();
            if (ref.isBfloat16()) {
                short[] bits = ref.bfloat16Bits();
                for (int i = 0; i < bits.length; i++) {
                    bits[i] = BFloat16.fromFloat(BFloat16.toFloat(bits[i]) * keep + pol[i] * take);
                }
            } else {
                float[] values = ref.data();
                for (int i = 0; i < values.length; i++) {
                    values[i] = values[i] * keep + pol[i] * take;
                }
            }
        }
    }
}
