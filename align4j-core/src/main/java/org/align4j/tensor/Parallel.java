package org.align4j.tensor;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The engine's one thread pool, sized to the cores (override with {@code -Dalign4j.threads=N} or the
 * {@code ALIGN4J_THREADS} environment variable). Kernels split work into disjoint index ranges so that every output
 * element is written by exactly one thread and reductions keep a fixed order.
 *
 * <p>The calling thread works too: a call publishes its ranges to {@code threads() - 1} workers, takes ranges itself
 * until none are left, and waits for the ranges still running. Between calls a worker spins for a while before it
 * parks, and a caller spins for the last ranges before it parks, because the engine's calls come microseconds apart
 * (decoding one token runs about a hundred of them): waking a parked thread costs tens of microseconds, a spinning one
 * a fraction of one. One call runs on the pool at a time; a call made while it is busy (from inside a range, or from
 * another thread) runs on its own thread.
 */
public final class Parallel {
    /** A body run over the half-open index range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    /**
     * How long an idle worker spins for the next call, and a caller for its last ranges, before parking: long enough
     * for the gaps between the calls of a decoding step; 200 us gave no more speed and took CPU time from the JIT.
     */
    private static final long SPIN_NANOS = 50_000;

    private static final int THREADS = configuredThreads();
    private static final Pool POOL = THREADS > 1 ? new Pool(THREADS - 1) : null;

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

    /** Number of threads a call runs on (the caller and the workers). */
    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code body} over [0, n) split into chunks of at least {@code grain} indices. Runs inline when the work
     * is small, when there is one thread, or when the pool is busy (a call from inside a range: no nested
     * parallelism). An exception thrown by a range is rethrown here once every range has ended.
     */
    public static void range(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int g = Math.max(1, grain);
        if (POOL == null || n <= g || !POOL.busy.compareAndSet(false, true)) {
            body.run(0, n);
            return;
        }
        try {
            POOL.run(new Job(body, n, Math.min((n + g - 1) / g, THREADS * 4)));
        } finally {
            POOL.busy.set(false);
        }
    }

    /** One call: its ranges, handed out in order to whichever thread asks next. */
    private static final class Job {
        final RangeBody body;
        final int n;
        final int chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger finished = new AtomicInteger();
        volatile Throwable failure;

        Job(RangeBody body, int n, int chunks) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
        }

        /** Runs ranges until none is left; returns whether this thread finished the job's last range. */
        boolean work() {
            boolean last = false;
            for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
                try {
                    body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
                } catch (Throwable t) {
                    if (failure == null) {
                        failure = t;
                    }
                } finally {
                    last = finished.incrementAndGet() == chunks;
                }
            }
            return last;
        }

        boolean done() {
            return finished.get() == chunks;
        }
    }

    /** The workers and the one job they are running. */
    private static final class Pool {
        final AtomicBoolean busy = new AtomicBoolean();
        final Worker[] workers;
        volatile Job job;
        /** Bumped (after {@link #job} is set) for every job; workers wait for it to change. */
        volatile long generation;
        volatile Thread caller;
        volatile boolean callerParked;

        Pool(int count) {
            workers = new Worker[count];
            for (int i = 0; i < count; i++) {
                workers[i] = new Worker(this, i);
                workers[i].start();
            }
        }

        void run(Job j) {
            caller = Thread.currentThread();
            job = j;
            generation++;
            for (Worker w : workers) {
                if (w.parked) {
                    LockSupport.unpark(w);
                }
            }
            j.work();
            if (!j.done()) {
                long deadline = System.nanoTime() + SPIN_NANOS;
                while (!j.done() && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                while (!j.done()) {
                    callerParked = true;
                    if (!j.done()) {
                        LockSupport.park(this);
                    }
                    callerParked = false;
                }
            }
            job = null; // its body may hold large arrays
            Throwable failure = j.failure;
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            if (failure != null) {
                throw new IllegalStateException(failure);
            }
        }

        /** Called by the worker that finished a job's last range. */
        void finished() {
            if (callerParked) {
                LockSupport.unpark(caller);
            }
        }
    }

    private static final class Worker extends Thread {
        final Pool pool;
        volatile boolean parked;

        Worker(Pool pool, int index) {
            super("align4j-worker-" + index);
            this.pool = pool;
            setDaemon(true);
        }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                long deadline = System.nanoTime() + SPIN_NANOS;
                while (pool.generation == seen && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                while (pool.generation == seen) {
                    parked = true;
                    if (pool.generation == seen) {
                        LockSupport.park(pool);
                    }
                    parked = false;
                }
                seen = pool.generation;
                Job j = pool.job;
                if (j != null && j.work()) {
                    pool.finished();
                }
            }
        }
    }
}
