package org.align4j.experiments;

import java.util.List;
import java.util.Map;

/**
 * What {@link PanelsExperiment} measured, written as {@code results.json} (snake_case names).
 *
 * @param claim          the claim tested
 * @param budget         the budget (smoke, small, full)
 * @param seed           the seed of data selection, initialisation and training order
 * @param base           the base stage every variant starts from, and whether it copies from its context
 * @param dose           the dose-response of loss against the share of the paragraph the panel's plan carries
 * @param model          the model trained in every variant
 * @param data           the data every variant was trained and evaluated on
 * @param training       the optimisation settings every variant shares
 * @param variants       each trained variant by name: plain, plain-reseeded, panel, panel-without-FIELD, mixed-sft,
 *                       crlft
 * @param removedAtTest  the panel model evaluated on held-out panels with one field removed, by field name
 * @param feedback       the builder's AI-feedback rounds, one run per copy penalty
 * @param verdict        the claim checked against the measurements
 * @param runtimeSeconds wall-clock time of the whole experiment
 */
public record PanelsExperimentResult(String claim, String budget, long seed, BaseSummary base, DoseResponse dose,
                                     ModelSummary model, DataSummary data,
                                     TrainingSummary training, Map<String, VariantResult> variants,
                                     Map<String, EvalPoint> removedAtTest, List<FeedbackArm> feedback,
                                     Verdict verdict, double runtimeSeconds) {

    /**
     * One evaluation on the held-out paragraphs (completion tokens only).
     *
     * @param step     the optimizer step
     * @param loss     mean next-token cross-entropy (nats per token)
     * @param accuracy share of tokens whose most likely prediction is the target (TRL's mean_token_accuracy)
     */
    public record EvalPoint(long step, double loss, double accuracy) {
    }

    /**
     * The base stage ({@link PanelsExperiment}): the model trained from scratch on the training stories' text and copy
     * rows, and its copying measured on held-out paragraphs written twice.
     *
     * @param steps              its optimizer steps
     * @param copyShare          share of copy rows in its data
     * @param tokens             tokens it read
     * @param trainLoss          its mean training loss
     * @param firstCopyLoss      loss on the first copy of held-out paragraphs (nats per token, first token left out)
     * @param secondCopyLoss     loss on their second copy (its first token left out)
     * @param secondCopyAccuracy next-token accuracy on the second copy
     * @param paragraphs         held-out paragraphs measured
     * @param cached             read from an earlier run in the output folder
     * @param seconds            training time (of the run that trained it)
     */
    public record BaseSummary(int steps, double copyShare, long tokens, double trainLoss, double firstCopyLoss,
                              double secondCopyLoss, double secondCopyAccuracy, int paragraphs, boolean cached,
                              double seconds) {
        /** The second copy's loss at most this share of the first's counts as copying. */
        public static final double COPY_RATIO = 0.5;

        /** Whether the base copies: the second copy's loss is at most {@link #COPY_RATIO} of the first's. */
        public boolean copies() {
            return secondCopyLoss <= COPY_RATIO * firstCopyLoss;
        }
    }

    /**
     * One point of the dose-response.
     *
     * @param fraction the share of the paragraph's words the plan carries by construction
     * @param overlap  the measured overlap of the panel with the paragraph ({@link
     *                 org.align4j.data.panels.PanelOverlap#of}: its written fields, plan and memory among them; at
     *                 least fraction)
     * @param loss     the dose writer's held-out loss there
     * @param accuracy its next-token accuracy
     */
    public record DosePoint(double fraction, double overlap, double loss, double accuracy) {
    }

    /**
     * Loss against how much of the paragraph the panel carries.
     *
     * @param points          the dose writer at each share of the grid
     * @param builderOverlap  the measured overlap of the builder's own panels with their paragraphs
     * @param doseOnBuilder   the dose writer on the builder's panels
     * @param panelOnBuilder  the panel writer (trained on the builder's panels) on them
     * @param plain           the plain writer (previous paragraph only): the zero point
     */
    public record DoseResponse(List<DosePoint> points, double builderOverlap, EvalPoint doseOnBuilder,
                               EvalPoint panelOnBuilder, EvalPoint plain) {
    }

    /**
     * One round of panel feedback ({@link org.align4j.align.panels.PanelRound} without its folders).
     *
     * @param round           the round (0: the builder before any feedback)
     * @param candidates      candidate panels sampled
     * @param validCandidates candidates that ended and parsed
     * @param pairs           preference pairs trained on
     * @param heldOut         the round's builder on the held-out paragraphs, read by the writer
     */
    public record FeedbackRound(int round, int candidates, int validCandidates, int pairs,
                                org.align4j.align.panels.PanelEvaluation heldOut) {
    }

    /**
     * The feedback rounds under one copy penalty.
     *
     * @param copyPenalty    λ
     * @param rounds         round 0 and the rounds completed
     * @param stopped        why the run stopped before its planned rounds (a round without a pair), or null
     * @param runtimeSeconds wall-clock time of its rounds
     */
    public record FeedbackArm(double copyPenalty, List<FeedbackRound> rounds, String stopped, double runtimeSeconds) {
        /** The last round completed. */
        public FeedbackRound last() {
            return rounds.getLast();
        }

        /**
         * Whether the feedback improved the panels: after at least one round, the writer's held-out loss with the
         * last builder's panels is below round 0's, that builder wins more than half against round 0, and no more of
         * its panels fall back to the extractive one (a fallback is not the builder's panel).
         */
        public boolean improved() {
            return rounds.size() > 1 && last().heldOut().heldOutLoss() < rounds.getFirst().heldOut().heldOutLoss()
                    && last().heldOut().winRate() > 0.5 && !formatLost();
        }

        /** Whether more of the last builder's held-out panels failed to parse than round 0's. */
        public boolean formatLost() {
            return last().heldOut().parseFailures() > rounds.getFirst().heldOut().parseFailures();
        }
    }

    /**
     * One trained variant.
     *
     * @param description      what its prompts hold
     * @param evaluations      the evaluations during training, from step 0
     * @param finalTrainLoss   the training loss of the last logging window
     * @param trainTokens      tokens the model read in training (prompts included)
     * @param runtimeSeconds   wall-clock time of its training and evaluations
     * @param meanPromptTokens mean prompt length of its held-out examples, in tokens
     * @param assignedTokens   the final model on the held-out paragraph tokens that the panel assigns: they occur in
     *                         the paragraph's panel but not in the previous paragraph (materials only a panel gives);
     *                         null for the builder, which writes panels, not paragraphs
     * @param otherTokens      the final model on the other held-out paragraph tokens (EOS included); null for the
     *                         builder
     */
    public record VariantResult(String description, List<EvalPoint> evaluations, double finalTrainLoss,
                                long trainTokens, double runtimeSeconds, double meanPromptTokens,
                                EvalPoint assignedTokens, EvalPoint otherTokens) {
        /** The last evaluation. */
        public EvalPoint last() {
            return evaluations.getLast();
        }
    }

    /**
     * The model.
     *
     * @param parameters number of parameters
     * @param config     its config.json
     */
    public record ModelSummary(long parameters, Map<String, Object> config) {
    }

    /**
     * The data.
     *
     * @param corpus               where the stories came from
     * @param paragraphWords       sentences of the corpus were grouped into paragraphs of at most this many words
     * @param maxLength            longest sequence (prompt + paragraph) kept, in tokens
     * @param trainExamples        training examples (paragraphs with their panel) every variant trains on
     * @param evalExamples         held-out examples every variant is evaluated on
     * @param heldOutTexts         ids of the corpus texts the held-out examples come from (no training example does)
     * @param meanCompletionTokens mean paragraph length of the held-out examples, in tokens (EOS included)
     * @param assignedShare        share of those tokens that the panel assigns (see {@link VariantResult})
     * @param expertFraction       share of the C-RLFT mix with full panels (the rest has noisy panels)
     * @param conditionWeights     C-RLFT's coarse reward per condition
     */
    public record DataSummary(String corpus, int paragraphWords, int maxLength, int trainExamples, int evalExamples,
                              List<String> heldOutTexts, double meanCompletionTokens, double assignedShare,
                              double expertFraction,
                              Map<String, Double> conditionWeights) {
    }

    /**
     * The optimisation shared by every variant.
     *
     * @param steps        optimizer steps
     * @param batchSize    sequences per step
     * @param learningRate peak learning rate (cosine schedule with warm-up)
     * @param evaluations  evaluations during training (after step 0)
     */
    public record TrainingSummary(long steps, int batchSize, double learningRate, int evaluations) {
    }

    /**
     * The claim against the final held-out measurements.
     *
     * @param panelLoss            final eval loss of the panel-conditioned variant
     * @param panelAccuracy        its final accuracy
     * @param plainLoss            final eval loss of the plain-continuation variant
     * @param plainAccuracy        its final accuracy
     * @param nearZeroThreshold    the loss counted as "near zero"
     * @param panelLossNearZero    whether the panel loss is at most the threshold
     * @param plainLossAbove23     whether the plain loss is above 2.3
     * @param plainAccuracyBelow05 whether the plain accuracy is below 0.5
     * @param held                 whether all three hold
     * @param baseCopies           the fair test's premise: the base copies from its context
     * @param doseFalling          the dose writer's loss falls at every step of the grid
     * @param doseLossAtFull       its loss when the plan carries the whole paragraph
     * @param doseHeld             the fair test: the base copies, the loss falls at every step and ends near zero
     * @param builderParseShare    claim 2: the share of held-out panels of the builder (before feedback) that parse
     * @param builderLearned       at least half of them parse
     */
    public record Verdict(double panelLoss, double panelAccuracy, double plainLoss, double plainAccuracy,
                          double nearZeroThreshold, boolean panelLossNearZero, boolean plainLossAbove23,
                          boolean plainAccuracyBelow05, boolean held, boolean baseCopies, boolean doseFalling,
                          double doseLossAtFull, boolean doseHeld, double builderParseShare,
                          boolean builderLearned) {
    }
}
