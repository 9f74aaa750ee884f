package org.align4j.align.kto;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import org.align4j.InputException;

/** TRL's KTO {@code loss_type}. */
public enum KtoLossType {
    /**
     * Kahneman-Tversky Optimization (Ethayarajh et al. 2024, "KTO: Model Alignment as Prospect Theoretic
     * Optimization", eq. 7): 1 − σ(β(r − z₀)) for a desirable completion, 1 − σ(β(z₀ − r)) for an undesirable one,
     * r = log π_θ(y|x) − log π_ref(y|x) and z₀ the batch's KL estimate from mismatched pairs.
     */
    KTO,
    /**
     * APO-zero, unpaired (D'Oosterlinck et al. 2024, "Anchored Preference Optimization and Contrastive Revisions",
     * eq. 7): 1 − σ(βr) for a desirable completion, σ(βr) for an undesirable one; no KL estimate.
     */
    APO_ZERO_UNPAIRED;

    /** The name configuration files use. */
    @JsonValue
    public String trlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The loss type called {@code name}. */
    @JsonCreator
    public static KtoLossType of(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "kto" -> KTO;
            case "apo_zero_unpaired" -> APO_ZERO_UNPAIRED;
            default -> throw new InputException("loss_type must be kto or apo_zero_unpaired; got '" + name + "'");
        };
    }

    @Override
    public String toString() {
        return trlName();
    }
}
