package org.align4j.train;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.align4j.InputException;

/**
 * Training stopped because a loss (or the gradient norm) was NaN or infinite. The one-line message names the value,
 * the optimizer step being computed and the training-set indices of the examples involved, e.g.
 * {@code non-finite loss NaN at step 12 (examples 96..103)}.
 */
public final class NonFiniteLossException extends InputException {
    private static final long serialVersionUID = 1L;

    private final long step;
    private final int[] examples;

    /**
     * @param what     what was not finite, e.g. "loss" or "gradient norm"
     * @param value    the value
     * @param step     the 1-based optimizer step being computed
     * @param examples indices (in the training set) of the examples of the offending batch
     */
    public NonFiniteLossException(String what, double value, long step, int[] examples) {
        super("non-finite " + what + " " + value + " at step " + step + " (" + describe(examples) + ")");
        this.step = step;
        this.examples = examples.clone();
    }

    /** The 1-based optimizer step being computed. */
    public long step() {
        return step;
    }

    /** Training-set indices of the examples of the offending batch. */
    public int[] examples() {
        return examples.clone();
    }

    /** "example 5", "examples 96..103" for a consecutive ascending run, else "examples 7, 3, 12". */
    private static String describe(int[] examples) {
        if (examples.length == 1) {
            return "example " + examples[0];
        }
        boolean run = examples.length > 1;
        for (int i = 1; i < examples.length && run; i++) {
            run = examples[i] == examples[i - 1] + 1;
        }
        if (run) {
            return "examples " + examples[0] + ".." + examples[examples.length - 1];
        }
        return "examples " + Arrays.stream(examples).mapToObj(Integer::toString).collect(Collectors.joining(", "));
    }
}
