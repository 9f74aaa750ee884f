package org.align4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The AFINN-165 sentiment score: words, phrases before their words, and the (0, 1) mapping. */
class AfinnTest {
    private final Afinn afinn = Afinn.bundled();

    @Test
    void sumsWordAndPhraseValences() {
        assertEquals(0, afinn.score("The house was on the hill."));
        assertEquals(3 + 3, afinn.score("GOOD, good."), "good = 3, case-insensitive");
        assertEquals(-2, afinn.score("They abandoned the car"), "abandoned = -2");
        assertEquals(-2, afinn.score("what bad luck"), "the phrase 'bad luck' (-2) is scored, not 'bad' (-3) + 'luck' (3)");
        assertEquals(0.5, afinn.reward("nothing here"), 1e-12);
        assertEquals(1 / (1 + Math.exp(-1.5)), afinn.reward("good"), 1e-12);
    }
}
