package org.align4j.align.panels;

import java.nio.file.Path;

/**
 * One round of a {@link PanelFeedbackLoop} as its files record it (a resumed round reports the same as a fresh one).
 * Round 0 is the starting builder: it samples and trains nothing and has no model folder.
 *
 * @param round           the round, from 0
 * @param directory       its folder ({@code output/round_k})
 * @param model           the builder it trained ({@code round_k/dpo}); null for round 0
 * @param candidates      candidate panels sampled
 * @param validCandidates candidates that ended within {@code max_new_tokens} and parsed
 * @param pairs           preference pairs trained on (paragraphs with two valid candidates of different scores)
 * @param heldOut         the round's builder on the held-out paragraphs
 */
public record PanelRound(int round, Path directory, Path model, int candidates, int validCandidates, int pairs,
                         PanelEvaluation heldOut) {
}
