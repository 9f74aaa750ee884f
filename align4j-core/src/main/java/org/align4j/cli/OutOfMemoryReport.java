package org.align4j.cli;

import org.align4j.model.OutOfHeapError;

/**
 * The one line that running out of heap ends a command with: what was being allocated when that is known
 * ({@link OutOfHeapError}), the JVM's maximum heap, what the run needs and the command's options that reduce it
 * (from a {@link MemorySized} command), and how to give the JVM more.
 */
final class OutOfMemoryReport {
    /** How to give the JVM more heap, through the launcher or java itself. */
    static final String MORE_HEAP = "give the JVM more heap: ALIGN4J_HEAP=24g or ALIGN4J_HEAP=90% with ./align4j"
            + " (java -Xmx24g without it)";

    private OutOfMemoryReport() {
    }

    /**
     * The line for {@code error}, which ended {@code command} (its name) whose picocli user object is
     * {@code commandObject}, in a JVM of {@code maxHeap} bytes of heap.
     */
    static String line(String command, OutOfMemoryError error, Object commandObject, long maxHeap) {
        StringBuilder s = new StringBuilder(640).append("align4j ").append(command).append(": out of memory");
        if (error instanceof OutOfHeapError known) {
            s.append(" while ").append(known.allocating());
        } else if (error.getMessage() != null) {
            s.append(" (").append(error.getMessage()).append(')');
        }
        s.append(": the JVM's maximum heap is ").append(OutOfHeapError.size(maxHeap));
        MemorySized sized = commandObject instanceof MemorySized m ? m : null;
        String needed = sized == null ? null : sized.memoryNeeded();
        if (needed != null) {
            s.append(" and this run needs ").append(needed);
        }
        s.append("; ");
        if (sized != null) {
            s.append("reduce it with ").append(sized.memoryOptions()).append(", or ");
        }
        return s.append(MORE_HEAP).toString().replace('\n', ' ');
    }
}
