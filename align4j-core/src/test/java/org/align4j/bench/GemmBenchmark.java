package org.align4j.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.align4j.tensor.cpu.Gemm;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH benchmark of the vector {@link Gemm} on training-sized shapes (not run by the tests). After
 * {@code ./mvnw -pl align4j-core -am -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test}:
 * in {@code align4j-core/}: {@code java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes:$(cat target/cp.txt)
 * org.openjdk.jmh.Main GemmBenchmark}. Divide 2·m·n·k by the reported time for FLOP/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
public class GemmBenchmark {

    /** Which operands are transposed: nn, nt or tn. */
    @Param({"nn", "nt", "tn"})
    public String layout;

    /** m x n x k. */
    @Param({"256x1000x64", "256x2304x768", "1024x1024x1024", "1x2304x768"})
    public String shape;

    private float[] a;
    private float[] b;
    private float[] c;
    private int m;
    private int n;
    private int k;

    /** Random operands of the requested shape. */
    @Setup
    public void setUp() {
        String[] sizes = shape.split("x");
        m = Integer.parseInt(sizes[0]);
        n = Integer.parseInt(sizes[1]);
        k = Integer.parseInt(sizes[2]);
        SplittableRandom random = new SplittableRandom(1);
        a = random(random, m * k);
        b = random(random, k * n);
        c = new float[m * n];
    }

    /** One C = op(A)·op(B). */
    @Benchmark
    public float[] multiply() {
        switch (layout) {
            case "nn" -> Gemm.nn(a, 0, b, 0, c, 0, m, n, k, false);
            case "nt" -> Gemm.nt(a, 0, b, 0, c, 0, m, n, k, false);
            case "tn" -> Gemm.tn(a, 0, b, 0, c, 0, m, n, k, false);
            default -> throw new IllegalArgumentException("layout must be nn, nt or tn: " + layout);
        }
        return c;
    }

    private static float[] random(SplittableRandom random, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return x;
    }
}
