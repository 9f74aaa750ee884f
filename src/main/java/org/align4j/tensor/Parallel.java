package org.align4j.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * The engine's one thread pool, sized to the cores (override with {@code -Dalign4j.threads=N} or the
 * {@code ALIGN4J_THREADS} environment variable). Kernels split work into disjoint index ranges so that every output
 * element is written by exactly one thread and reductions keep a fixed order.
 */
public final class Parallel {
    /** A body run over the half-open index range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static final int THREADS = configuredThreads();
    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS) : null;

    private Parallel() {
    }

    private static int configuredThreads() {
        String s = System.getProperty("align4j.threads", System.getenv("ALIGN4J_THREADS"));
        if (s != null && !s.isBlank()) {
            try {
                return Math.max(1, Integer.parseInt(s.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("align4j.threads / ALIGN4J_THREADS must be an integer, got '" + s + "'");
            }
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** Number of worker threads. */
    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code body} over [0, n) split into chunks of at least {@code grain} indices. Runs inline when the work
     * is small, when there is one thread, or when already inside a pool task (no nested parallelism).
     */
    public static void range(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int g = Math.max(1, grain);
        if (POOL == null || n <= g || ForkJoinTask.getPool() == POOL) {
            body.run(0, n);
            return;
        }
        int chunks = Math.min((n + g - 1) / g, THREADS * 4);
        POOL.invoke(new Chunk(body, n, chunks, 0, chunks));
    }

    private static final class Chunk extends RecursiveAction {
        private final RangeBody body;
        private final int n;
        private final int chunks;
        private final int lo;
        private final int hi;

        Chunk(RangeBody body, int n, int chunks, int lo, int hi) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.lo = lo;
            this.hi = hi;
        }

        @Override
        protected void compute() {
            if (hi - lo == 1) {
                int from = (int) ((long) n * lo / chunks);
                int to = (int) ((long) n * hi / chunks);
                body.run(from, to);
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Chunk(body, n, chunks, lo, mid), new Chunk(body, n, chunks, mid, hi));
        }
    }
}
