package org.align4j.data;

/**
 * One preference pair as two training sequences: the chosen and the rejected response, each with the prompt in
 * front and its loss mask.
 *
 * @param source   where the pair came from ({@code file:line}), for error messages
 * @param chosen   prompt + chosen response
 * @param rejected prompt + rejected response
 * @param margin   TRL's reward margin of the pair (its {@code "margin"} field; 0 when the data has none)
 */
public record SequencePair(String source, TokenizedSequence chosen, TokenizedSequence rejected, double margin) {

    /** The longer of the two sequences' lengths. */
    public int maxLength() {
        return Math.max(chosen.length(), rejected.length());
    }
}
