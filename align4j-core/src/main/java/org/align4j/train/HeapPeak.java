package org.align4j.train;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;

/**
 * Measures the peak Java heap over a stretch of work: resets every heap pool's peak, then sums the pools' peaks
 * (an upper bound on the true simultaneous peak, exact for the old generation that holds long-lived tensors). The
 * young generation's share is garbage in flight whose size the collector chooses, so comparisons between workloads
 * are made with a fixed young generation (e.g. {@code ALIGN4J_JAVA_OPTS=-Xmn96m}), as the benchmarks' docs say.
 */
public final class HeapPeak {
    private HeapPeak() {
    }

    /** Runs a GC and resets the heap pools' peak counters. */
    public static void reset() {
        System.gc();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    /** Sum of heap pool peaks since the last {@link #reset()}, in bytes. */
    public static long peakBytes() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }
}
