package org.align4j.model.io;

import org.align4j.InputException;

/**
 * A checkpoint file or directory could not be read or written: malformed safetensors header, missing tensor or
 * shard, unsupported dtype, or an I/O failure. The message is one line that names the file and the tensor or field
 * at fault, e.g. {@code model.safetensors: tensor 'lm_head.weight' data_offsets [0, 12] outside the data region (8
 * bytes)}.
 */
public class CheckpointException extends InputException {
    private static final long serialVersionUID = 1L;

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
