package org.align4j.align.dice;

import java.util.List;

/**
 * What a {@link DiceLoop} run did: the rounds it completed, in order, and why it stopped before the planned rounds
 * (null when it ran them all). A round stops the run when it has no preference pair to train on (no prompt kept
 * enough ended samples); its samples, scores and pairs stay on disk for inspection.
 *
 * @param rounds  the completed rounds
 * @param stopped the reason of an early stop, one line naming the round; null when every planned round ran
 */
public record DiceRun(List<DiceRound> rounds, String stopped) {
    /** Copies the list. */
    public DiceRun {
        rounds = List.copyOf(rounds);
    }
}
