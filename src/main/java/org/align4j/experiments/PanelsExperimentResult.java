package org.align4j.experiments;

import java.util.List;
import java.util.Map;

/**
 * What {@link PanelsExperiment} measured, written as {@code results.json} (snake_case names).
 *
 * @param claim          the claim tested
 * @param budget         the budget (smoke, small, full)
 * @param seed           the seed of data selection, initialisation and training order
 * @param model          the model trained in every variant
 * @param data           the data every variant was trained and evaluated on
 * @param training       the optimisation settings every variant shares
 * @param variants       each trained variant by name: plain, plain-reseeded, panel, panel-without-FIELD, mixed-sft,
 *                       crlft
 * @param removedAtTest  the panel model evaluated on held-out panels with one field removed, by field name
 * @param verdict        the claim checked against the measurements
 * @param runtimeSeconds wall-clock time of the whole experiment
 */
public record PanelsExperimentResult(String claim, String budget, long seed, ModelSummary model, DataSummary data,
                                     TrainingSummary training, Map<String, VariantResult> variants,
                                     Map<String, EvalPoint> removedAtTest, Verdict verdict, double runtimeSeconds) {

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
     * One trained variant.
     *
     * @param description      what its prompts hold
     * @param evaluations      the evaluations during training, from step 0
     * @param finalTrainLoss   the training loss of the last logging window
     * @param trainTokens      tokens the model read in training (prompts included)
     * @param runtimeSeconds   wall-clock time of its training and evaluations
     * @param meanPromptTokens mean prompt length of its held-out examples, in tokens
     * @param assignedTokens   the final model on the held-out paragraph tokens that the panel assigns: they occur in
     *                         the paragraph's panel but not in the previous paragraph (materials only a panel gives)
     * @param otherTokens      the final model on the other held-out paragraph tokens (EOS included)
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
     */
    public record Verdict(double panelLoss, double panelAccuracy, double plainLoss, double plainAccuracy,
                          double nearZeroThreshold, boolean panelLossNearZero, boolean plainLossAbove23,
                          boolean plainAccuracyBelow05, boolean held) {
    }
}
