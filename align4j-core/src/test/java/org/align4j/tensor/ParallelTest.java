package org.align4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** {@link Parallel#range}: every index once, on the pool's threads, exceptions passed on, nesting and callers. */
class ParallelTest {
    @Test
    void everyIndexRunsExactlyOnceForAnySizeAndGrain() {
        for (int n : new int[] {1, 2, 7, 64, 1000, 100_003}) {
            for (int grain : new int[] {1, 3, 16, 1 << 20}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                Parallel.range(n, grain, (from, to) -> {
                    assertTrue(0 <= from && from < to && to <= n, from + ".." + to);
                    for (int i = from; i < to; i++) {
                        hits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(1, hits.get(i), "n=" + n + " grain=" + grain + " index " + i);
                }
            }
        }
        Parallel.range(0, 1, (from, to) -> {
            throw new AssertionError("an empty range runs nothing");
        });
    }

    @Test
    void largeWorkRunsOnTheCallerAndTheWorkers() {
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        for (int attempt = 0; attempt < 50 && threads.size() < Parallel.threads(); attempt++) {
            Parallel.range(Parallel.threads() * 4, 1, (from, to) -> {
                threads.add(Thread.currentThread());
                long until = System.nanoTime() + 2_000_000;
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            });
        }
        assertEquals(Parallel.threads(), threads.size(), threads.toString());
        assertTrue(threads.contains(Thread.currentThread()));
    }

    @Test
    void anExceptionOfARangeReachesTheCallerAndThePoolStaysUsable() {
        IllegalStateException thrown = new IllegalStateException("range 5");
        IllegalStateException caught = assertThrows(IllegalStateException.class,
                () -> Parallel.range(64, 1, (from, to) -> {
                    if (from <= 40 && 40 < to) {
                        throw thrown;
                    }
                }));
        assertSame(thrown, caught);
        OutOfMemoryError oom = new OutOfMemoryError("test");
        assertSame(oom, assertThrows(OutOfMemoryError.class, () -> Parallel.range(64, 1, (from, to) -> {
            if (to == 64) {
                throw oom;
            }
        })));
        AtomicIntegerArray hits = new AtomicIntegerArray(64);
        Parallel.range(64, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                hits.incrementAndGet(i);
            }
        });
        for (int i = 0; i < 64; i++) {
            assertEquals(1, hits.get(i));
        }
    }

    @Test
    void aCallFromInsideARangeRunsInline() {
        AtomicIntegerArray hits = new AtomicIntegerArray(16 * 100);
        Parallel.range(16, 1, (from, to) -> {
            for (int outer = from; outer < to; outer++) {
                int base = outer * 100;
                Thread before = Thread.currentThread();
                Parallel.range(100, 1, (f, t) -> {
                    assertSame(before, Thread.currentThread());
                    for (int i = f; i < t; i++) {
                        hits.incrementAndGet(base + i);
                    }
                });
            }
        });
        for (int i = 0; i < hits.length(); i++) {
            assertEquals(1, hits.get(i));
        }
    }

    @Test
    void callersOnSeveralThreadsAllGetTheirWorkDone() throws InterruptedException {
        int callers = 4;
        int n = 10_000;
        long[] sums = new long[callers];
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            int caller = c;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int rep = 0; rep < 200; rep++) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(n);
                    Parallel.range(n, 7, (from, to) -> {
                        for (int i = from; i < to; i++) {
                            hits.incrementAndGet(i);
                        }
                    });
                    for (int i = 0; i < n; i++) {
                        sums[caller] += hits.get(i);
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        for (long sum : sums) {
            assertEquals(200L * n, sum);
        }
    }
}
