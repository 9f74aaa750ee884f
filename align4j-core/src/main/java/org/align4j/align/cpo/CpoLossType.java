package org.align4j.align.cpo;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.align4j.InputException;

/**
 * TRL's CPO {@code loss_type}: the preference term of {@link CpoLoss} on z = r(y_w) − r(y_l), r the policy's
 * sequence log-probability (a sum of token log-probabilities, or their mean for ipo and simpo).
 */
public enum CpoLossType {
    /** −log σ(βz) with label smoothing ε: −(1 − ε) log σ(βz) − ε log σ(−βz) (Xu et al. 2024, "Contrastive Preference
     * Optimization", eq. 3). */
    SIGMOID,
    /** max(0, 1 − βz) (the hinge loss of SLiC, Zhao et al. 2023). */
    HINGE,
    /** (z − 1/(2β))² with mean token log-probabilities (IPO, Azar et al. 2023, eq. 17). */
    IPO,
    /**
     * SimPO (Meng et al. 2024, "SimPO: Simple Preference Optimization with a Reference-Free Reward", eq. 6): the
     * sigmoid loss on mean token log-probabilities with the target margin γ: z − γ/β.
     */
    SIMPO;

    /** The name configuration files use. */
    @JsonValue
    public String trlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The loss type called {@code name}. */
    @JsonCreator
    public static CpoLossType of(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(t -> t.trlName().equals(key)).findFirst()
                .orElseThrow(() -> new InputException("loss_type must be one of " + Arrays.stream(values())
                        .map(CpoLossType::trlName).collect(Collectors.joining(", ")) + "; got '" + name + "'"));
    }

    /** Whether the sequence log-probability is the mean over the completion's tokens (ipo, simpo). */
    public boolean averagesTokens() {
        return this == IPO || this == SIMPO;
    }

    @Override
    public String toString() {
        return trlName();
    }
}
