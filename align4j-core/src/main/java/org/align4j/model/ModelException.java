package org.align4j.model;

import org.align4j.InputException;

/** A bad model: unknown architecture, invalid config field, missing or mis-shaped tensor. The message is one line. */
public final class ModelException extends InputException {
    private static final long serialVersionUID = 1L;

    /** An error with a one-line message naming the file and field or tensor. */
    public ModelException(String message) {
        super(message);
    }
}
