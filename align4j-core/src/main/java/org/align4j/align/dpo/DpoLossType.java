package org.align4j.align.dpo;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import org.align4j.ClosestName;

/**
 * The preference losses of TRL's {@code DPOTrainer} ({@code DPOConfig.loss_type}, TRL 1.13), plus TYPO. Each loss is a
 * function of the per-sequence log-probabilities of a chosen response y_w and a rejected response y_l under the policy
 * π_θ and the frozen reference π_ref. Notation used below: u = log π_θ(y_w) - log π_ref(y_w) and
 * v = log π_θ(y_l) - log π_ref(y_l) (the chosen and rejected log-ratios), s(·) the f-divergence score of a log-ratio
 * ({@link FDivergenceType}; s(u) = u for the default reverse KL), Δ = s(u) - s(v), β = {@code beta}, ε =
 * {@code label_smoothing}, σ the logistic sigmoid.
 */
public enum DpoLossType {
    /**
     * DPO, Rafailov et al. 2023 (arXiv 2305.18290), eq. 7: -log σ(βΔ). TRL 1.13 applies no label smoothing here (the
     * label-smoothed "conservative DPO" of Mitchell's cDPO note is not part of this loss any more).
     */
    SIGMOID("sigmoid", true, false),
    /** SLiC-HF hinge loss, Zhao et al. 2023 (arXiv 2305.10425), as TRL writes it: max(0, 1 - βΔ). */
    HINGE("hinge", true, false),
    /**
     * IPO, Azar et al. 2023 (arXiv 2310.12036), eq. 17, with TRL's length normalisation (confirmed by the IPO authors,
     * per TRL): (s(u)/|y_w| - s(v)/|y_l| - 1/(2β))², |y| the number of completion tokens (at least 1).
     */
    IPO("ipo", true, false),
    /**
     * EXO, pairwise form, Ji et al. 2024 (arXiv 2402.00856), eq. 16: KL between p_θ = (σ(βΔ), σ(-βΔ)) and the smoothed
     * label (1 - ε, ε), i.e. σ(βΔ)(log σ(βΔ) - log(1-ε)) + σ(-βΔ)(log σ(-βΔ) - log ε). Needs 0 < ε < 1.
     */
    EXO_PAIR("exo_pair", true, false),
    /**
     * NCA, pairwise form, Chen et al. 2024 (arXiv 2402.05369) (TRL cites no equation number):
     * -log σ(βu) - ½ log σ(-βu) - ½ log σ(-βv).
     */
    NCA_PAIR("nca_pair", false, false),
    /**
     * Robust DPO, Chowdhury et al. 2024 (arXiv 2403.00409) (TRL cites no equation number), unbiased under label flips
     * with probability ε: ((1-ε)(-log σ(βΔ)) - ε(-log σ(-βΔ))) / (1 - 2ε). Needs 0 ≤ ε < ½.
     */
    ROBUST("robust", true, false),
    /**
     * BCO, pairwise form, Jung et al. 2024 (arXiv 2404.04656) (TRL cites no equation number):
     * -log σ(βu) - log σ(-βv). TRL 1.13 applies no reward shift; {@link BcoRewardShift} adds the paper's δ.
     */
    BCO_PAIR("bco_pair", false, false),
    /**
     * SPPO with hard labels, Wu et al. 2024 (arXiv 2405.00675), eq. 4.7 of Algorithm 1 with P = 1 for the winner and 0
     * for the loser: (u - 1/(2β))² + (v + 1/(2β))².
     */
    SPPO_HARD("sppo_hard", false, false),
    /**
     * AOT for paired data, Melnyk et al. 2024 (arXiv 2406.05882) (TRL cites no equation number): the policy margins
     * m_i = log π_θ(y_w) - log π_θ(y_l) and reference margins are each sorted across the batch and matched by rank,
     * d_k = m_(k) - m_ref,(k); loss_k = -(1-ε) log σ(βd_k) - ε log σ(-βd_k), one value per rank k, not per pair.
     */
    AOT("aot", false, true),
    /**
     * AOT for unpaired data, Melnyk et al. 2024 (arXiv 2406.05882): u and v are each sorted across the batch and
     * matched by rank, d_k = u_(k) - v_(k), with the same per-rank loss as {@link #AOT}.
     */
    AOT_UNPAIRED("aot_unpaired", false, true),
    /** APO-zero, D'Oosterlinck et al. 2024 (arXiv 2408.06266), eq. 7: 1 - σ(βu) + σ(βv). */
    APO_ZERO("apo_zero", false, false),
    /** APO-down, D'Oosterlinck et al. 2024 (arXiv 2408.06266), eq. 8: σ(βu) + 1 - σ(β(u - v)). */
    APO_DOWN("apo_down", false, false),
    /**
     * DiscoPOP (log-ratio modulated loss), Lu et al. 2024 (arXiv 2406.08414), eq. 5: with z = βΔ and
     * m = σ(z/τ), τ = {@code discopop_tau}: (1 - m)(-log σ(z)) + m e^(-z).
     */
    DISCOPOP("discopop", true, false),
    /**
     * The NLL of the chosen responses (RPO, Pang et al. 2024, arXiv 2404.19733; TRL's {@code sft}): the mean
     * cross-entropy over all chosen completion tokens of the batch (a token mean, not a mean of sequence means),
     * the same value for every pair.
     */
    SFT("sft", true, false),
    /**
     * Length-normalised DPO (TRL's {@code sigmoid_norm}, credited to SimPO, Meng et al. 2024, arXiv 2405.14734, but
     * keeping the reference model): -log σ(β(s(u)/|y_w| - s(v)/|y_l|)), |y| the number of completion tokens (at least
     * 1).
     */
    SIGMOID_NORM("sigmoid_norm", true, false),
    /**
     * TYPO, Hu, He and Wipf 2024, "New Desiderata for Direct Preference Optimization" (arXiv 2407.09072): a
     * reference-free Bradley-Terry term on the policy's own log-likelihoods plus λ times KL(π_ref ‖ π_θ), estimated on
     * the pair's two responses as samples of π_ref: -log σ(log π_θ(y_w) - log π_θ(y_l)) + (λ/2)(-u - v), λ =
     * {@code typo_lambda}. Not part of TRL. See {@link DpoLoss} for the derivation and its caveats.
     */
    TYPO("typo", false, false);

    private final String trlName;
    private final boolean acceptsFDivergence;
    private final boolean sortsBatch;

    DpoLossType(String trlName, boolean acceptsFDivergence, boolean sortsBatch) {
        this.trlName = trlName;
        this.acceptsFDivergence = acceptsFDivergence;
        this.sortsBatch = sortsBatch;
    }

    /** The name as written in {@code DPOConfig.loss_type}. */
    @JsonValue
    public String trlName() {
        return trlName;
    }

    /**
     * Whether TRL allows a non-default {@code f_divergence_type} with this loss: only losses built on the
     * chosen-rejected score difference Δ, where f-DPO's β log Z(x) term cancels.
     */
    public boolean acceptsFDivergence() {
        return acceptsFDivergence;
    }

    /** Whether the loss sorts values across the batch, so its per-item values are per rank, not per pair. */
    public boolean sortsBatch() {
        return sortsBatch;
    }

    /**
     * Whether a batch's loss of this type is the mean over its pairs of a value of each pair alone, so that the losses
     * of disjoint batches, averaged with their sizes as weights, are the loss of their union (what data-parallel
     * training over shards of a batch needs): false for {@code sft} (a token mean over the whole batch) and for the
     * losses that sort across the batch.
     */
    public boolean meanOverPairs() {
        return !sortsBatch && this != SFT;
    }

    /** The loss type called {@code name} in TRL (e.g. "sigmoid", "aot_unpaired"); "typo" for TYPO. */
    @JsonCreator
    public static DpoLossType fromName(String name) {
        return ClosestName.pick(values(), DpoLossType::trlName, name, "DPO loss type");
    }

    @Override
    public String toString() {
        return trlName;
    }
}
