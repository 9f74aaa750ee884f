package org.align4j.cli;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.DoubleAdder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.align4j.InputException;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.GenerationConfig;
import org.align4j.model.Generator;
import org.align4j.model.Models;
import org.align4j.model.io.Dtype;
import org.align4j.tensor.Backend;
import org.align4j.tensor.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j bench generate}: decode tokens/s of the KV-cache generator on a random-init model (greedy, a
 * 16-token prompt per row, prefill timed apart), beside the bound that memory bandwidth sets: a decode step reads
 * every weight matrix once for the whole batch, so it cannot produce more than batch x bandwidth / weight bytes
 * tokens per second. The bandwidth is measured here, by streaming a buffer larger than the caches.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Decode tokens/s of a randomly initialised model (no download) and the memory-bandwidth bound.")
final class BenchGenerateCommand implements Callable<Integer> {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int PROMPT_TOKENS = 16;

    @Mixin
    PresetModelOptions shape;
    @Mixin
    TorchDtypeOption torchDtype;
    @Option(names = "--batch", defaultValue = "1", description = "rows decoded together (default ${DEFAULT-VALUE})")
    int batch;
    @Option(names = "--new-tokens", defaultValue = "64", description = "tokens generated per row (default ${DEFAULT-VALUE})")
    int newTokens;
    @Option(names = "--bandwidth-mib", defaultValue = "512",
            description = "size of the buffer streamed to measure read bandwidth (default ${DEFAULT-VALUE})")
    int bandwidthMib;

    @Override
    public Integer call() {
        if (batch < 1 || newTokens < 2) {
            throw new InputException("--batch must be >= 1 and --new-tokens >= 2");
        }
        CausalLM model = shape.randomModel(1234);
        Dtype storage = torchDtype.storage(null);
        if (storage == Dtype.BF16) {
            model = Models.frozenCopy(model, storage);
        }
        long weightBytes = decodeWeightBytes(model.parameters());
        SplittableRandom rng = new SplittableRandom(7);
        int[][] prompts = new int[batch][PROMPT_TOKENS];
        for (int[] row : prompts) {
            for (int t = 0; t < row.length; t++) {
                row[t] = rng.nextInt(model.config().vocabSize());
            }
        }
        Generator generator = new Generator(model);
        GenerationConfig all = GenerationConfig.greedy(newTokens);
        GenerationConfig prefillOnly = GenerationConfig.greedy(1);
        System.out.printf("%s: %.1f MB of %s weights read per decode step, batch %d, %d new tokens, kernels %s, "
                        + "%d threads%n", shape, weightBytes / 1e6, storage.torchName(), batch, newTokens, Backend.kernels().name(),
                Parallel.threads());
        generator.generate(prompts, all); // warm-up
        double prefill = Double.MAX_VALUE;
        double total = Double.MAX_VALUE;
        for (int r = 0; r < 3; r++) {
            long t0 = System.nanoTime();
            generator.generate(prompts, prefillOnly);
            long t1 = System.nanoTime();
            generator.generate(prompts, all);
            long t2 = System.nanoTime();
            prefill = Math.min(prefill, (t1 - t0) / 1e9);
            total = Math.min(total, (t2 - t1) / 1e9);
        }
        double decode = Math.max(1e-9, total - prefill);
        double tokensPerSecond = (double) batch * (newTokens - 1) / decode;
        double bandwidth = readBandwidth(bandwidthMib);
        double bound = batch * bandwidth / weightBytes;
        System.out.printf("decode: %.1f tokens/s (%.1f ms/step, prefill %.1f ms); read bandwidth %.1f GB/s "
                        + "(%d threads) bounds decode at %.1f tokens/s: %.2f of the bound%n", tokensPerSecond,
                decode / (newTokens - 1) * 1e3, prefill * 1e3, bandwidth / 1e9, Parallel.threads(), bound,
                tokensPerSecond / bound);
        return 0;
    }

    /**
     * Bytes of the parameters a decode step reads in full: every tensor except the position-embedding table, of which
     * a step reads one row (the token embedding counts when it is also the tied lm_head, as in GPT-2).
     */
    static long decodeWeightBytes(Map<String, Var> parameters) {
        long bytes = 0;
        for (Map.Entry<String, Var> e : parameters.entrySet()) {
            if (!e.getKey().endsWith("wpe.weight")) {
                bytes += e.getValue().value().storageBytes();
            }
        }
        return bytes;
    }

    /**
     * Best of five passes of a vector sum over {@code mib} MiB split across the pool's threads, in bytes/s, after
     * warm-up passes over a small buffer that get the sum compiled (a pass that ran interpreted measured as little
     * as 0.7 of the compiled rate, and the bound with it).
     */
    static double readBandwidth(int mib) {
        float[] warmUp = new float[1 << 20];
        for (int pass = 0; pass < 200; pass++) {
            sumPass(warmUp, 1 << 16);
        }
        float[] buffer = new float[mib << 18];
        for (int i = 0; i < buffer.length; i += 1024) {
            buffer[i] = 1f;
        }
        double best = 0;
        for (int pass = 0; pass < 5; pass++) {
            long t0 = System.nanoTime();
            double sum = sumPass(buffer, 1 << 20);
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (sum < 0) {
                throw new IllegalStateException("bandwidth buffer sum cannot be negative");
            }
            best = Math.max(best, 4.0 * buffer.length / seconds);
        }
        return best;
    }

    /** The sum of {@code buffer}, in chunks of {@code chunk} floats across the pool's threads. */
    private static double sumPass(float[] buffer, int chunk) {
        DoubleAdder sink = new DoubleAdder();
        Parallel.range(buffer.length / chunk, 1, (from, to) -> {
            FloatVector s0 = FloatVector.zero(SPECIES);
            FloatVector s1 = s0;
            for (int i = from * chunk; i < to * chunk; i += 2 * SPECIES.length()) {
                s0 = s0.add(FloatVector.fromArray(SPECIES, buffer, i));
                s1 = s1.add(FloatVector.fromArray(SPECIES, buffer, i + SPECIES.length()));
            }
            sink.add(s0.add(s1).reduceLanes(VectorOperators.ADD));
        });
        return sink.sum();
    }
}
