package org.align4j.model;

import java.util.Locale;

/**
 * An {@link OutOfMemoryError} that says what was being allocated ("loading the weights of ..."), thrown where the big
 * allocations are (loading or initialising a model, a training step, generation) so that the command line can say
 * it in its one-line report. Its cause is the JVM's error.
 */
public final class OutOfHeapError extends OutOfMemoryError {
    private OutOfHeapError(String allocating, OutOfMemoryError cause) {
        super(allocating);
        initCause(cause);
    }

    /**
     * The error for {@code e}, thrown while {@code allocating}; an {@code OutOfHeapError} already (from a call
     * nested inside, which knows more precisely) is returned as it is.
     */
    public static OutOfHeapError of(String allocating, OutOfMemoryError e) {
        return e instanceof OutOfHeapError known ? known : new OutOfHeapError(allocating, e);
    }

    /** What was being allocated, e.g. "loading the weights of m/model.safetensors (124.4M parameters, 475 MiB as float32)". */
    public String allocating() {
        return getMessage();
    }

    /** {@code bytes} in MiB below 1 GiB, else in GiB with one decimal. */
    public static String size(long bytes) {
        double mib = bytes / (1024.0 * 1024.0);
        return mib < 1024 ? String.format(Locale.ROOT, "%.0f MiB", mib)
                : String.format(Locale.ROOT, "%.1f GiB", mib / 1024);
    }
}
