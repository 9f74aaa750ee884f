package org.align4j.align.grpo;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import org.align4j.InputException;

/** TRL's {@code importance_sampling_level}: the granularity of GRPO's importance ratio π_θ / π_θold. */
public enum ImportanceSamplingLevel {
    /** One ratio per completion token (GRPO, Shao et al. 2024, eq. 3; TRL's default). */
    TOKEN,
    /**
     * One ratio per completion: exp of the mean token log-ratio, the length-normalised sequence likelihood ratio of
     * GSPO (Zheng et al. 2025, "Group Sequence Policy Optimization", eq. 7).
     */
    SEQUENCE;

    /** The name configuration files use. */
    @JsonValue
    public String trlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The level called {@code name}. */
    @JsonCreator
    public static ImportanceSamplingLevel of(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "token" -> TOKEN;
            case "sequence" -> SEQUENCE;
            default -> throw new InputException("importance_sampling_level must be token or sequence; got '" + name
                    + "'");
        };
    }

    @Override
    public String toString() {
        return trlName();
    }
}
