package org.align4j.align.dpo;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import org.align4j.ClosestName;
import org.align4j.align.Logistic;

/**
 * The f-divergence that regularises the policy against the reference in f-DPO (Wang et al. 2023, "Beyond Reverse KL:
 * Generalizing Direct Preference Optimization with Diverse Divergence Constraints", arXiv 2309.16240), TRL's
 * {@code f_divergence_type}. It replaces each log-ratio r = log π_θ(y) - log π_ref(y) by the score f'(e^r) before the
 * loss takes the chosen-rejected difference, exactly as TRL 1.13 writes it.
 */
public enum FDivergenceType {
    /** Standard DPO: s(r) = r (f'(t) = log t up to a constant). */
    REVERSE_KL("reverse_kl"),
    /** f'(t) = 1 - 1/t: s(r) = 1 - e^(-r). */
    FORWARD_KL("forward_kl"),
    /** f'(t) = log(2t / (t + 1)): s(r) = log 2 + log σ(r). */
    JS_DIVERGENCE("js_divergence"),
    /**
     * f'(t) = (t^(α-1) - 1)/(α - 1): s(r) = (e^(min((α-1)r, 80)) - 1)/(α - 1), α = {@code f_alpha_divergence_coef};
     * TRL clamps the exponent at 80 (its float32 bound) and falls back to reverse KL when |α - 1| < 1e-6.
     */
    ALPHA_DIVERGENCE("alpha_divergence");

    /** TRL's clamp on the exponent (α-1)r of the α-divergence score (float32/bfloat16 value). */
    static final double ALPHA_EXPONENT_MAX = 80.0;
    /** TRL's tolerance for treating α = 1 as the reverse-KL limit. */
    static final double ALPHA_ONE_TOLERANCE = 1e-6;

    private final String trlName;

    FDivergenceType(String trlName) {
        this.trlName = trlName;
    }

    /** The name as written in {@code DPOConfig.f_divergence_type}. */
    @JsonValue
    public String trlName() {
        return trlName;
    }

    /** The divergence called {@code name} in TRL (e.g. "js_divergence"). */
    @JsonCreator
    public static FDivergenceType fromName(String name) {
        return ClosestName.pick(values(), FDivergenceType::trlName, name, "f_divergence_type");
    }

    /** The score s(r) of log-ratio r; {@code alpha} is used by {@link #ALPHA_DIVERGENCE} only. */
    double score(double logRatio, double alpha) {
        return switch (this) {
            case REVERSE_KL -> logRatio;
            case FORWARD_KL -> 1 - Math.exp(-logRatio);
            case JS_DIVERGENCE -> Math.log(2) + Logistic.logSigmoid(logRatio);
            case ALPHA_DIVERGENCE -> {
                if (Math.abs(alpha - 1) < ALPHA_ONE_TOLERANCE) {
                    yield logRatio;
                }
                double t = Math.min((alpha - 1) * logRatio, ALPHA_EXPONENT_MAX);
                yield Math.expm1(t) / (alpha - 1);
            }
        };
    }

    /** ds/dr at log-ratio r (0 where TRL's clamp is active, as torch.clamp's gradient). */
    double scoreDerivative(double logRatio, double alpha) {
        return switch (this) {
            case REVERSE_KL -> 1;
            case FORWARD_KL -> Math.exp(-logRatio);
            case JS_DIVERGENCE -> Logistic.sigmoid(-logRatio);
            case ALPHA_DIVERGENCE -> {
                if (Math.abs(alpha - 1) < ALPHA_ONE_TOLERANCE) {
                    yield 1;
                }
                double t = (alpha - 1) * logRatio;
                yield t > ALPHA_EXPONENT_MAX ? 0 : Math.exp(t);
            }
        };
    }

    @Override
    public String toString() {
        return trlName;
    }
}
