package org.align4j.align.panels;

/**
 * How the builder of one round does on the held-out paragraphs ({@link PanelFeedbackLoop}): one greedy panel per
 * paragraph (the extractive panel where it does not parse), read by the writer.
 *
 * @param paragraphs        held-out paragraphs
 * @param parseFailures     paragraphs whose panel did not parse or did not end within {@code max_new_tokens} (they
 *                          were scored with the extractive panel)
 * @param heldOutLoss       the writer's loss on the paragraphs given the panels: summed NLL over summed tokens
 * @param meanLogLikelihood the raw feedback: mean over paragraphs of the mean log-likelihood per token
 * @param meanOverlap       the penalty term before λ: mean over paragraphs of {@link
 *                          org.align4j.data.panels.PanelOverlap#of}
 * @param meanScore         the penalised feedback: meanLogLikelihood − copy_penalty × meanOverlap
 * @param winRate           against round 0's panels, paragraph by paragraph on the score: win 1, tie 1/2, loss 0
 *                          (round 0 against itself: exactly 1/2)
 */
public record PanelEvaluation(int paragraphs, int parseFailures, double heldOutLoss, double meanLogLikelihood,
                              double meanOverlap, double meanScore, double winRate) {
    /** The share of held-out panels that fell back to the extractive panel. */
    public double parseFailureShare() {
        return parseFailures / (double) paragraphs;
    }
}
