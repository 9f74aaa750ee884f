package org.align4j.data;

import java.io.Serializable;

/**
 * One tokenized preference pair: two training sequences, prompt + chosen response and prompt + rejected response,
 * each with its loss mask. DPO's tokenization ({@link PreferenceTokenization}, as TRL's
 * {@code DataCollatorForPreference}) shares the prompt and marks the completion tokens (TRL's
 * {@code completion_mask}); reward modelling's ({@link RewardTokenization}, as TRL's {@code RewardTrainer}) tokenizes
 * each side as one whole text.
 * Serializable, so that a Spark job can ship it to its executors.
 *
 * @param source   where the pair came from ({@code file:line}), for messages
 * @param chosen   prompt + chosen response
 * @param rejected prompt + rejected response
 * @param margin   TRL's reward margin of the pair (its {@code "margin"} field; 0 when the data has none)
 */
public record PreferencePair(String source, TokenizedSequence chosen, TokenizedSequence rejected, double margin)
        implements Serializable {

    /** Checks that both sequences are present. */
    public PreferencePair {
        if (chosen == null || rejected == null) {
            throw new DataException(source + ": a preference pair needs a chosen and a rejected sequence");
        }
    }

    /** A pair without a margin. */
    public PreferencePair(String source, TokenizedSequence chosen, TokenizedSequence rejected) {
        this(source, chosen, rejected, 0);
    }

    /**
     * Checks that the pair fits a model of {@code vocabSize} token ids and {@code positions} positions.
     *
     * @throws DataException naming the pair's source and the sequence at fault
     */
    public void requireFits(int vocabSize, int positions) {
        chosen.requireFits(vocabSize, positions, source + ": chosen sequence");
        rejected.requireFits(vocabSize, positions, source + ": rejected sequence");
    }

    /** The longer of the two sequences' lengths. */
    public int maxLength() {
        return Math.max(chosen.length(), rejected.length());
    }
}
