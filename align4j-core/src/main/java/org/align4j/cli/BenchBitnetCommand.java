package org.align4j.cli;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.align4j.InputException;
import org.align4j.quant.PackedGemm;
import org.align4j.quant.PackedMatrix;
import org.align4j.quant.QuantizedActivations;
import org.align4j.quant.WeightQuantization;
import org.align4j.tensor.Backend;
import org.align4j.tensor.Kernels;
import org.align4j.tensor.Parallel;
import org.align4j.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j bench bitnet}: the packed BitLinear product ({@link PackedGemm}, ternary and binary weights on int8
 * activations, the activation quantisation included) against the float32 {@link Kernels#matmulNT} on the same shapes, as a GEMV
 * (one token) and a GEMM (a batch of tokens): best time per call over interleaved rounds, GFLOP-equivalent/s
 * (2 · tokens · out · in per call), the speed-up over float32 and the weight memory.
 */
@Command(name = "bitnet", mixinStandardHelpOptions = true,
        description = "Packed ternary/binary BitLinear GEMV and GEMM vs float32 GEMM: time, speed-up, weight memory.")
final class BenchBitnetCommand implements Callable<Integer> {
    private static final int ROUNDS = 5;

    @Option(names = "--shapes", split = ",", defaultValue = "768x768,3072x768,768x3072,2048x2048,4096x4096",
            description = "Weight shapes OUTxIN, comma-separated (default ${DEFAULT-VALUE}).")
    List<String> shapes;

    @Option(names = "--tokens", defaultValue = "64", description = "Tokens of the GEMM (default ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--millis", defaultValue = "300",
            description = "Timed milliseconds per kernel and shape, in 5 interleaved rounds (the best counts), after"
                    + " as long a warm-up (default ${DEFAULT-VALUE}).")
    int millis;

    /** Runs the benchmark and prints one line per shape and batch. */
    @Override
    public Integer call() {
        if (tokens < 1 || millis < 1) {
            throw new InputException("--tokens and --millis must be positive");
        }
        System.out.printf(Locale.ROOT, "bitnet packed GEMV/GEMM vs the float32 matmulNT, %d threads, load average %s%n",
                Parallel.threads(), loadAverage());
        System.out.printf(Locale.ROOT, "%-10s %6s | %10s %10s %10s | %8s %8s | %10s %9s %9s%n", "shape", "tokens",
                "f32 ms", "tern ms", "bin ms", "tern x", "bin x", "f32 MiB", "tern MiB", "bin MiB");
        SplittableRandom random = new SplittableRandom(42);
        Kernels kernels = Backend.kernels();
        for (String shape : shapes) {
            String[] parts = shape.trim().split("x");
            if (parts.length != 2) {
                throw new InputException("shape '" + shape + "' is not OUTxIN");
            }
            int out = Integer.parseInt(parts[0]);
            int in = Integer.parseInt(parts[1]);
            float[] w = randomArray(random, out * in);
            PackedMatrix ternary = PackedMatrix.quantize(WeightQuantization.TERNARY, w, out, in);
            PackedMatrix binary = PackedMatrix.quantize(WeightQuantization.BINARY, w, out, in);
            for (int batch : new int[] {1, tokens}) {
                float[] x = randomArray(random, batch * in);
                float[] y = new float[batch * out];
                Tensor xs = Tensor.of(x, batch, in);
                Tensor ws = Tensor.of(w, out, in);
                Tensor ys = Tensor.of(y, batch, out);
                double[] best = bestNanosPerCall(
                        () -> kernels.matmulNT(xs, 0, ws, 0, ys, 0, batch, out, in, false),
                        () -> PackedGemm.multiply(ternary, QuantizedActivations.quantize(x, batch, in), null, y),
                        () -> PackedGemm.multiply(binary, QuantizedActivations.quantize(x, batch, in), null, y));
                double f32 = best[0];
                double tern = best[1];
                double bin = best[2];
                System.out.printf(Locale.ROOT, "%-10s %6d | %10.3f %10.3f %10.3f | %8.2f %8.2f | %10.2f %9.3f %9.3f%n",
                        out + "x" + in, batch, f32 / 1e6, tern / 1e6, bin / 1e6, f32 / tern, f32 / bin,
                        mib(4L * out * in), mib(ternary.bytes()), mib(binary.bytes()));
                double flops = 2.0 * batch * out * in;
                System.out.printf(Locale.ROOT, "%-10s %6s   GFLOP-eq/s: f32 %.2f, ternary %.2f, binary %.2f%n", "", "",
                        flops / f32, flops / tern, flops / bin);
            }
        }
        return 0;
    }

    /**
     * The best time per call of each kernel over {@value #ROUNDS} interleaved rounds of {@code --millis / ROUNDS}
     * each, after a warm-up of {@code --millis} each in two interleaved passes (so that every kernel has run before
     * any is timed, and the JIT's recompilations for paths the others add happen in the warm-up): on a shared machine
     * the rounds that other work slowed are dropped, and all kernels see the same load.
     */
    private double[] bestNanosPerCall(Runnable... kernels) {
        for (int pass = 0; pass < 2; pass++) {
            for (Runnable kernel : kernels) {
                nanosPerCall(kernel, millis * 1_000_000L / 2);
            }
        }
        double[] best = new double[kernels.length];
        Arrays.fill(best, Double.POSITIVE_INFINITY);
        for (int round = 0; round < ROUNDS; round++) {
            for (int k = 0; k < kernels.length; k++) {
                best[k] = Math.min(best[k], nanosPerCall(kernels[k], millis * 1_000_000L / ROUNDS));
            }
        }
        return best;
    }

    private static double nanosPerCall(Runnable kernel, long budget) {
        long start = System.nanoTime();
        long calls = 0;
        long now;
        do {
            kernel.run();
            calls++;
            now = System.nanoTime();
        } while (now - start < budget);
        return (double) (now - start) / calls;
    }

    private static String loadAverage() {
        try {
            String[] fields = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    private static float[] randomArray(SplittableRandom random, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return x;
    }
}
