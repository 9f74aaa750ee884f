package org.align4j.data;

/**
 * One tokenized preference pair as TRL's {@code DataCollatorForPreference} feeds it to the model: two sequences that
 * share the prompt, prompt + chosen completion and prompt + rejected completion, each truncated to {@code max_length}
 * and with the completion tokens marked in its loss mask (TRL's {@code completion_mask}).
 *
 * @param source   where the example came from ({@code file:line}), for messages
 * @param chosen   prompt + chosen completion; the loss mask marks the completion
 * @param rejected prompt + rejected completion; the loss mask marks the completion
 */
public record PreferencePair(String source, TokenizedSequence chosen, TokenizedSequence rejected) {

    /** Checks that both sequences are present. */
    public PreferencePair {
        if (chosen == null || rejected == null) {
            throw new DataException(source + ": a preference pair needs a chosen and a rejected sequence");
        }
    }
}
