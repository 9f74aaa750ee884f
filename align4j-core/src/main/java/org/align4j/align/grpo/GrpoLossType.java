package org.align4j.align.grpo;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.align4j.InputException;

/**
 * TRL's GRPO {@code loss_type}: how the per-token clipped surrogate losses of a micro-batch are aggregated into one
 * number (TRL's {@code GRPOTrainer._compute_loss}). The per-token loss is the same for all four; m is the completion
 * mask.
 */
public enum GrpoLossType {
    /**
     * Each completion's masked token mean, then the mean over completions (Shao et al. 2024, "DeepSeekMath", eq. 3;
     * biased towards short completions with positive advantages).
     */
    GRPO,
    /**
     * Σ m·loss / (completions × {@code max_completion_length}): a constant normaliser (Liu et al. 2025,
     * "Understanding R1-Zero-Like Training: A Critical Perspective", eq. 4).
     */
    DR_GRPO,
    /**
     * Σ m·loss / (active tokens of the whole generation batch): token-level normalisation over the global batch (Yu
     * et al. 2025, "DAPO", eq. 8; TRL's default).
     */
    DAPO,
    /** Σ m·loss / (active tokens of the micro-batch): as dapo, normalised over the local batch only. */
    BNPO;

    /** The name configuration files use. */
    @JsonValue
    public String trlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The loss type called {@code name}; TRL's cispo, sapo, luspo and vespo are refused by name. */
    @JsonCreator
    public static GrpoLossType of(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT);
        for (GrpoLossType type : values()) {
            if (type.trlName().equals(key)) {
                return type;
            }
        }
        String supported = Arrays.stream(values()).map(GrpoLossType::trlName).collect(Collectors.joining(", "));
        if (key.equals("cispo") || key.equals("sapo") || key.equals("luspo") || key.equals("vespo")) {
            throw new InputException("loss_type '" + key + "' is one of TRL's that align4j does not implement; "
                    + "supported: " + supported);
        }
        throw new InputException("loss_type must be one of " + supported + "; got '" + name + "'");
    }

    @Override
    public String toString() {
        return trlName();
    }
}
