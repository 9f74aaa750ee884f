package org.align4j.data;

import org.align4j.InputException;

/** Bad training data: the message is one line naming the file, the line and the field. */
public final class DataException extends InputException {
    private static final long serialVersionUID = 1L;

    /** An error with a one-line message such as {@code train.jsonl:12: field 'chosen' must be a string}. */
    public DataException(String message) {
        super(message);
    }
}
