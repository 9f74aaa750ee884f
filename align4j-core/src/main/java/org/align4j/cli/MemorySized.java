package org.align4j.cli;

/**
 * A command that sizes its run before its big allocations, so that running out of heap is reported with what the
 * run needs and the command's options that reduce it ({@link OutOfMemoryReport}).
 */
interface MemorySized {
    /**
     * What the run needs, as the report says it ("about 2.3 GiB (weights ...) for micro-batches of 8 sequences of up
     * to 1024 tokens"), or null before the command has sized its run.
     */
    String memoryNeeded();

    /** The command's options that reduce the memory it needs, e.g. "a smaller --max-length or --optim mezo". */
    String memoryOptions();
}
