package org.align4j.align.grpo;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import org.align4j.InputException;

/**
 * TRL's {@code scale_rewards}: what a GRPO advantage, reward minus its group's mean, is divided by (plus 1e-4).
 */
public enum ScaleRewards {
    /** The standard deviation of the rewards of the prompt's group (GRPO, Shao et al. 2024, eq. 3; TRL's default). */
    GROUP,
    /** The standard deviation of every reward in the generation batch (as the PPO Lite paper recommends). */
    BATCH,
    /** Nothing (Dr. GRPO, Liu et al. 2025: scaling by the std biases towards questions of low variance). */
    NONE;

    /** The name configuration files use. */
    @JsonValue
    public String trlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The value called {@code name}; TRL's booleans {@code true} and {@code false} mean group and none. */
    @JsonCreator
    public static ScaleRewards of(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "group", "true" -> GROUP;
            case "batch" -> BATCH;
            case "none", "false" -> NONE;
            default -> throw new InputException("scale_rewards must be one of group, batch, none; got '" + name + "'");
        };
    }

    @Override
    public String toString() {
        return trlName();
    }
}
