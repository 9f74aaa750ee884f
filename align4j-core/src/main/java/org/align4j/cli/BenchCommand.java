package org.align4j.cli;

import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import org.align4j.tensor.Parallel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code align4j bench ...}: micro-benchmarks of the compute kernels, one subcommand per benchmark. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Micro-benchmarks of the compute kernels.",
        subcommands = {BenchCommand.Gemm.class, BenchTrainStepCommand.class, BenchDpoStepCommand.class,
                BenchBitnetCommand.class, BenchGenerateCommand.class, BenchGrpoStepCommand.class})
public final class BenchCommand implements Runnable {

    @Spec
    private CommandSpec spec;

    /** Without a subcommand there is nothing to run: reports the usage error. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing benchmark: choose a subcommand");
    }

    /** Matrix layouts of {@code bench gemm}, named like the {@link org.align4j.tensor.cpu.Gemm} methods. */
    enum Layout { nn, nt, tn }

    /** {@code align4j bench gemm}: GFLOP/s of the vector GEMM and of its scalar twin on one shape. */
    @Command(name = "gemm", mixinStandardHelpOptions = true,
            description = "GFLOP/s of the vector matrix multiply and of its scalar twin, C[m,n] = A·B in one layout.")
    static final class Gemm implements Callable<Integer> {
        @Option(names = "--m", defaultValue = "1024", description = "Rows of C (default ${DEFAULT-VALUE}).")
        int m;

        @Option(names = "--n", defaultValue = "1024", description = "Columns of C (default ${DEFAULT-VALUE}).")
        int n;

        @Option(names = "--k", defaultValue = "1024", description = "Inner dimension (default ${DEFAULT-VALUE}).")
        int k;

        @Option(names = "--layout", defaultValue = "nt",
                description = "nn: A[m,k]·B[k,n], nt: A[m,k]·B[n,k]ᵀ (numpy's a @ b.T), tn: A[k,m]ᵀ·B[k,n] "
                        + "(default ${DEFAULT-VALUE}).")
        Layout layout;

        @Option(names = "--iters", defaultValue = "20", description = "Timed runs of the vector kernel (default ${DEFAULT-VALUE}).")
        int iters;

        @Option(names = "--scalar-iters", defaultValue = "2",
                description = "Timed runs of the scalar twin, 0 to skip it (default ${DEFAULT-VALUE}).")
        int scalarIters;

        @Spec
        CommandSpec spec;

        /** Runs the benchmark and prints one line per kernel. */
        @Override
        public Integer call() {
            if (m < 1 || n < 1 || k < 1 || iters < 1 || scalarIters < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--m, --n, --k and --iters must be positive, --scalar-iters non-negative");
            }
            SplittableRandom random = new SplittableRandom(42);
            float[] a = randomArray(random, m * k);
            float[] b = randomArray(random, k * n);
            float[] c = new float[m * n];
            Kernel vector = switch (layout) {
                case nn -> org.align4j.tensor.cpu.Gemm::nn;
                case nt -> org.align4j.tensor.cpu.Gemm::nt;
                case tn -> org.align4j.tensor.cpu.Gemm::tn;
            };
            Kernel scalar = switch (layout) {
                case nn -> org.align4j.tensor.cpu.Gemm::nnScalar;
                case nt -> org.align4j.tensor.cpu.Gemm::ntScalar;
                case tn -> org.align4j.tensor.cpu.Gemm::tnScalar;
            };
            double flops = 2.0 * m * n * k;
            System.out.printf(Locale.ROOT, "gemm %s m=%d n=%d k=%d, %d threads, register tile %s%n", layout, m, n, k,
                    Parallel.threads(), org.align4j.tensor.cpu.Gemm.registerTile());
            long warmupEnd = System.nanoTime() + 2_000_000_000L;
            int warmups = 0;
            while (warmups < 5 || (System.nanoTime() < warmupEnd && warmups < 1000)) {
                vector.multiply(a, 0, b, 0, c, 0, m, n, k, false);
                warmups++;
            }
            report("vector", time(vector, a, b, c, iters), flops);
            if (scalarIters > 0) {
                scalar.multiply(a, 0, b, 0, c, 0, m, n, k, false);
                report("scalar", time(scalar, a, b, c, scalarIters), flops);
            }
            return 0;
        }

        private long[] time(Kernel kernel, float[] a, float[] b, float[] c, int runs) {
            long[] nanos = new long[runs];
            for (int r = 0; r < runs; r++) {
                long start = System.nanoTime();
                kernel.multiply(a, 0, b, 0, c, 0, m, n, k, false);
                nanos[r] = System.nanoTime() - start;
            }
            return nanos;
        }

        private static void report(String name, long[] nanos, double flops) {
            long total = 0;
            long best = Long.MAX_VALUE;
            for (long t : nanos) {
                total += t;
                best = Math.min(best, t);
            }
            double mean = (double) total / nanos.length;
            System.out.printf(Locale.ROOT, "%-7s %9.2f GFLOP/s mean, %9.2f GFLOP/s best, %10.3f ms mean over %d runs%n",
                    name, flops / mean, flops / best, mean / 1e6, nanos.length);
        }

        private static float[] randomArray(SplittableRandom random, int size) {
            float[] x = new float[size];
            for (int i = 0; i < size; i++) {
                x[i] = (float) (random.nextDouble() * 2 - 1);
            }
            return x;
        }
    }

    /** The common signature of the GEMM entry points. */
    @FunctionalInterface
    interface Kernel {
        void multiply(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k,
                      boolean accumulate);
    }
}
