package org.align4j.align.panels;

import java.util.List;

/**
 * What a {@link PanelFeedbackLoop} run did: round 0 (the starting builder) and the rounds it completed, in order, and
 * why it stopped before the planned rounds (null when it ran them all). A round stops the run when it has no pair to
 * train on; its samples, scores and pairs stay on disk.
 *
 * @param rounds  round 0, then the completed rounds
 * @param stopped the reason of an early stop, one line naming the round; null when every planned round ran
 */
public record PanelFeedbackRun(List<PanelRound> rounds, String stopped) {
    /** Copies the list. */
    public PanelFeedbackRun {
        rounds = List.copyOf(rounds);
    }
}
