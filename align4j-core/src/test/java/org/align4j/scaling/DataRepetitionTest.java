package org.align4j.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Muennighoff et al.'s effective data D' against values worked by hand. */
class DataRepetitionTest {
    private final DataRepetition repetition = new DataRepetition(1000, DataRepetition.MUENNIGHOFF_DECAY);

    @Test
    void tokensWithinOnePassAreWorthThemselves() {
        assertEquals(400, repetition.effectiveTokens(400), 0);
        assertEquals(1000, repetition.effectiveTokens(1000), 0);
    }

    @Test
    void fourEpochsAreWorthAboutThreePointSevenAndNoNumberMoreThanOnePlusRStar() {
        // R = 3: D' = U (1 + 15.39 (1 - e^(-3/15.39))) = 3.726 U.
        assertEquals(3725.7, repetition.effectiveTokens(4000), 0.1);
        assertEquals(1000 * (1 + DataRepetition.MUENNIGHOFF_DECAY), repetition.effectiveTokens(1e9), 1e-6);
        // Repeated tokens still add value, less each time.
        double two = repetition.effectiveTokens(2000) - repetition.effectiveTokens(1000);
        double ten = repetition.effectiveTokens(11000) - repetition.effectiveTokens(10000);
        assertTrue(two > ten && ten > 0, two + " then " + ten);
    }

    @Test
    void withoutAFiniteCorpusEveryTokenIsUnique() {
        DataRepetition none = DataRepetition.none();
        assertFalse(none.modelled());
        assertEquals(1e15, none.effectiveTokens(1e15), 0);
        TrainingRun run = TrainingRun.of(1e6, 5000, 3.0, "r");
        TrainingRun effective = repetition.effective(run);
        assertEquals(run.compute(), effective.compute(), 0);
        assertEquals(repetition.effectiveTokens(5000), effective.tokens(), 0);
    }
}
