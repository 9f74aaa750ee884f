package org.align4j.align.dpo;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.align4j.InputException;
import org.align4j.train.OptionRecords;

/**
 * The loss options of TRL's {@code DPOConfig} (TRL 1.13 names and defaults), plus TYPO's λ and {@code reference_free}.
 * Read and written by those names through {@link OptionRecords} ({@link #withOptions}); the compact constructor
 * rejects, with an {@link InputException}, every combination TRL rejects and every value that makes a loss undefined.
 * Serializable, so that a Spark job can ship it to its executors.
 *
 * @param beta                 {@code beta} (0.1): β, the inverse strength of the pull towards the reference; for IPO it
 *                             is the paper's τ. Must be finite and > 0.
 * @param labelSmoothing       {@code label_smoothing} (0.0): ε, used by robust (flip probability, [0, ½)), exo_pair
 *                             (label smoothing, (0, 1)), aot and aot_unpaired ([0, 1]); ignored by the other losses
 *                             (TRL 1.13's sigmoid loss does not smooth).
 * @param lossType             {@code loss_type} (["sigmoid"]): the losses to combine, at least one.
 * @param lossWeights          {@code loss_weights} (null: all 1.0): one finite weight per entry of {@code lossType}; the
 *                             total loss is Σ_k weight_k · mean over the batch of loss_k (e.g. MPO's [0.8, 0.2, 1.0]).
 * @param fDivergenceType      {@code f_divergence_type} (reverse_kl): the f-DPO score of each log-ratio; a non-default
 *                             value is only accepted when every loss type {@link DpoLossType#acceptsFDivergence()}.
 * @param fAlphaDivergenceCoef {@code f_alpha_divergence_coef} (0.5): α of the α-divergence.
 * @param discopopTau          {@code discopop_tau} (0.05): τ of DiscoPOP, > 0.
 * @param useWeighting         {@code use_weighting} (false): WPO weighting (Zhou et al. 2024, arXiv 2406.11827, eq. 2);
 *                             each pair's loss is multiplied by the detached weights w(y_w) w(y_l) of
 *                             {@link WpoWeighting}, which the {@link DpoLossInput} must then carry. Not allowed with aot or
 *                             aot_unpaired (they sort, which would misalign the weights).
 * @param ldAlpha              {@code ld_alpha} (None): LD-DPO's α in [0, 1] (Liu et al. 2024, arXiv 2409.06411), see
 *                             {@link CompletionLogpReduction}; null = plain sums.
 * @param referenceFree        {@code reference_free} (false; TRL dropped the option after 0.x): the reference
 *                             log-probabilities are taken as 0, i.e. a reference that gives every response the same
 *                             probability; this applies to the losses and to the logged rewards.
 * @param typoLambda           TYPO's λ (1.0), the weight of its KL(π_ref ‖ π_θ) term (λ → 0: the Bradley-Terry optimal
 *                             policy; λ → ∞: the reference). Must be finite and ≥ 0. Used by {@link DpoLossType#TYPO}
 *                             only.
 */
public record DpoLossConfig(double beta, double labelSmoothing, List<DpoLossType> lossType, List<Double> lossWeights,
                            FDivergenceType fDivergenceType, double fAlphaDivergenceCoef, double discopopTau,
                            boolean useWeighting, Double ldAlpha, boolean referenceFree, double typoLambda)
        implements Serializable {

    /** TRL's default {@code beta}. */
    public static final double DEFAULT_BETA = 0.1;
    /** TRL 1.13's default {@code f_alpha_divergence_coef}. */
    public static final double DEFAULT_F_ALPHA_DIVERGENCE_COEF = 0.5;
    /** TRL's default {@code discopop_tau}. */
    public static final double DEFAULT_DISCOPOP_TAU = 0.05;
    /** Default TYPO λ (the paper gives no single recommended value; it sweeps λ). */
    public static final double DEFAULT_TYPO_LAMBDA = 1.0;

    private static final Set<String> OPTION_NAMES = OptionRecords.names(DpoLossConfig.class);

    /** Validates the options (see the class description) and freezes the lists. */
    public DpoLossConfig {
        if (!(beta > 0) || !Double.isFinite(beta)) {
            throw new InputException("beta must be finite and > 0, got " + beta);
        }
        if (lossType == null || lossType.isEmpty()) {
            throw new InputException("loss_type needs at least one loss type");
        }
        for (DpoLossType t : lossType) {
            if (t == null) {
                throw new InputException("loss_type contains null: " + lossType);
            }
        }
        lossType = List.copyOf(lossType);
        if (lossWeights != null) {
            if (lossWeights.size() != lossType.size()) {
                throw new InputException("loss_weights has " + lossWeights.size() + " weights for "
                        + lossType.size() + " loss types " + lossType + "; give one weight per loss type");
            }
            for (Double w : lossWeights) {
                if (w == null || !Double.isFinite(w)) {
                    throw new InputException("loss_weights must be finite numbers, got " + lossWeights);
                }
            }
            lossWeights = Collections.unmodifiableList(new ArrayList<>(lossWeights));
        }
        if (fDivergenceType == null) {
            throw new InputException("f_divergence_type is null");
        }
        if (fDivergenceType != FDivergenceType.REVERSE_KL) {
            List<DpoLossType> refused = lossType.stream().filter(t -> !t.acceptsFDivergence()).distinct().toList();
            if (!refused.isEmpty()) {
                throw new InputException("f_divergence_type '" + fDivergenceType + "' only works with loss "
                        + "types built on the chosen-rejected score difference (sigmoid, sigmoid_norm, hinge, ipo, "
                        + "exo_pair, robust, discopop, sft); " + refused + " need f_divergence_type 'reverse_kl'");
            }
        }
        if (!Double.isFinite(fAlphaDivergenceCoef)) {
            throw new InputException("f_alpha_divergence_coef must be finite, got " + fAlphaDivergenceCoef);
        }
        if (!Double.isFinite(labelSmoothing) || labelSmoothing < 0 || labelSmoothing > 1) {
            throw new InputException("label_smoothing must be in [0, 1], got " + labelSmoothing);
        }
        if (lossType.contains(DpoLossType.ROBUST) && !(labelSmoothing < 0.5)) {
            throw new InputException("loss_type 'robust' needs label_smoothing in [0, 0.5) (the probability "
                    + "that a label is flipped), got " + labelSmoothing);
        }
        if (lossType.contains(DpoLossType.EXO_PAIR) && !(labelSmoothing > 0 && labelSmoothing < 1)) {
            throw new InputException("loss_type 'exo_pair' needs label_smoothing in (0, 1) (the EXO paper "
                    + "recommends 1e-3), got " + labelSmoothing);
        }
        if (!(discopopTau > 0) || !Double.isFinite(discopopTau)) {
            throw new InputException("discopop_tau must be finite and > 0, got " + discopopTau);
        }
        if (useWeighting && (lossType.contains(DpoLossType.AOT) || lossType.contains(DpoLossType.AOT_UNPAIRED))) {
            throw new InputException("use_weighting (WPO) is not defined for 'aot' or 'aot_unpaired': they "
                    + "sort the batch, which would misalign the per-pair weights");
        }
        if (ldAlpha != null && !(ldAlpha >= 0 && ldAlpha <= 1)) {
            throw new InputException("ld_alpha must be in [0, 1], got " + ldAlpha);
        }
        if (!(typoLambda >= 0) || !Double.isFinite(typoLambda)) {
            throw new InputException("typo_lambda must be finite and >= 0, got " + typoLambda);
        }
    }

    /** TRL's defaults: sigmoid loss, beta 0.1. */
    public static DpoLossConfig defaults() {
        return new DpoLossConfig(DEFAULT_BETA, 0.0, List.of(DpoLossType.SIGMOID), null, FDivergenceType.REVERSE_KL,
                DEFAULT_F_ALPHA_DIVERGENCE_COEF, DEFAULT_DISCOPOP_TAU, false, null, false, DEFAULT_TYPO_LAMBDA);
    }

    /** The snake_case option names, in declaration order. */
    public static Set<String> optionNames() {
        return OPTION_NAMES;
    }

    /**
     * This configuration with {@code options} (snake_case names, TRL values: {@code "loss_type": "sigmoid,sft"} or a
     * list) replaced; a loss type string with commas is a list.
     *
     * @throws InputException naming the option for an unknown name, a value of the wrong type or an invalid value
     */
    public DpoLossConfig withOptions(Map<String, ?> options) {
        return withOptions(options, "loss options");
    }

    /** As {@link #withOptions(Map)}, naming {@code source} (a file, "command line") in error messages. */
    public DpoLossConfig withOptions(Map<String, ?> options, String source) {
        Map<String, Object> split = new LinkedHashMap<>(options);
        if (split.get("loss_type") instanceof String names) {
            split.put("loss_type", splitNames(List.of(names)));
        } else if (split.get("loss_type") instanceof List<?> names && names.stream().allMatch(String.class::isInstance)) {
            split.put("loss_type", splitNames(names));
        }
        if (split.get("loss_weights") instanceof String weights) {
            split.put("loss_weights", Arrays.stream(weights.split(",")).map(String::trim).toList());
        }
        return OptionRecords.merge(this, split, DpoLossConfig.class, source);
    }

    private static List<String> splitNames(List<?> entries) {
        List<String> names = new ArrayList<>();
        for (Object entry : entries) {
            Arrays.stream(((String) entry).split(",")).map(String::trim).filter(t -> !t.isEmpty()).forEach(names::add);
        }
        return names;
    }

    /** The weight of the k-th loss type (1.0 without {@code loss_weights}). */
    public double lossWeight(int k) {
        return lossWeights == null ? 1.0 : lossWeights.get(k);
    }
}
