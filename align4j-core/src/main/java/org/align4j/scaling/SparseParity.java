package org.align4j.scaling;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The multitask sparse parity data of Michaud et al. (2023), "The Quantization Model of Neural Scaling"
 * (arXiv:2303.13506), Section 3: an input is {@code tasks} control bits, one-hot for the task, followed by
 * {@code bits} uniformly random data bits; task i's label is the parity of a fixed random subset of
 * {@code subsetSize} data bits; task i (0-based) is drawn with probability ∝ (i + 1)^(−exponent). Each task is one
 * "quantum": learning it lowers the loss on its share of the data, and the quantization model predicts the tasks are
 * learned in order of frequency, the mean loss falling as a power law in model size with exponent α where
 * exponent = α + 1.
 *
 * @param tasks      number of tasks (control bits)
 * @param bits       number of data bits (at most 64)
 * @param subsetSize k, the bits each task's parity reads
 * @param exponent   the Zipf exponent α + 1 of the task frequencies
 * @param subsets    each task's k data-bit positions
 */
public record SparseParity(int tasks, int bits, int subsetSize, double exponent, int[][] subsets) {

    /**
     * One example.
     *
     * @param task  the task (its control bit is set)
     * @param data  the data bits, bit j of the long
     * @param label the parity of the task's subset of the data bits, 0 or 1
     */
    public record Sample(int task, long data, int label) {
    }

    /** Checks the sizes. */
    public SparseParity {
        if (tasks < 1 || bits < 1 || bits > 64 || subsetSize < 1 || subsetSize > bits || !(exponent >= 0)) {
            throw new IllegalArgumentException("sparse parity needs tasks >= 1, 1 <= k <= bits <= 64 and exponent >= 0;"
                    + " got tasks " + tasks + ", bits " + bits + ", k " + subsetSize + ", exponent " + exponent);
        }
    }

    /** Draws each task's subset of k distinct data bits (seeded). */
    public static SparseParity create(int tasks, int bits, int subsetSize, double exponent, long seed) {
        if (bits < 1 || subsetSize > bits || subsetSize < 1) {
            throw new IllegalArgumentException("need 1 <= k <= bits, got k " + subsetSize + ", bits " + bits);
        }
        SplittableRandom rng = new SplittableRandom(seed);
        int[][] subsets = new int[tasks][];
        for (int t = 0; t < tasks; t++) {
            int[] positions = new int[bits];
            Arrays.setAll(positions, i -> i);
            for (int i = 0; i < subsetSize; i++) {
                int j = i + rng.nextInt(bits - i);
                int swap = positions[i];
                positions[i] = positions[j];
                positions[j] = swap;
            }
            subsets[t] = Arrays.copyOf(positions, subsetSize);
            Arrays.sort(subsets[t]);
        }
        return new SparseParity(tasks, bits, subsetSize, exponent, subsets);
    }

    /** The input width: control bits plus data bits. */
    public int inputWidth() {
        return tasks + bits;
    }

    /** p_i ∝ (i + 1)^(−exponent), normalised. */
    public double[] taskProbabilities() {
        double[] p = new double[tasks];
        double sum = 0;
        for (int i = 0; i < tasks; i++) {
            p[i] = Math.pow(i + 1, -exponent);
            sum += p[i];
        }
        for (int i = 0; i < tasks; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** An example of a task drawn by frequency. */
    public Sample sample(SplittableRandom rng, double[] cumulative) {
        double u = rng.nextDouble();
        int task = 0;
        while (task < tasks - 1 && u >= cumulative[task]) {
            task++;
        }
        return sample(task, rng);
    }

    /** The cumulative task probabilities, for {@link #sample(SplittableRandom, double[])}. */
    public double[] cumulativeProbabilities() {
        double[] p = taskProbabilities();
        double[] c = new double[tasks];
        double sum = 0;
        for (int i = 0; i < tasks; i++) {
            sum += p[i];
            c[i] = sum;
        }
        return c;
    }

    /** An example of {@code task} with random data bits. */
    public Sample sample(int task, SplittableRandom rng) {
        long data = bits == 64 ? rng.nextLong() : rng.nextLong() & ((1L << bits) - 1);
        int parity = 0;
        for (int position : subsets[task]) {
            parity ^= (int) (data >>> position) & 1;
        }
        return new Sample(task, data, parity);
    }

    /** Writes the inputs of {@code samples} as rows of 0/1 floats: the one-hot task, then the data bits. */
    public float[] features(List<Sample> samples) {
        int width = inputWidth();
        float[] x = new float[samples.size() * width];
        for (int r = 0; r < samples.size(); r++) {
            Sample s = samples.get(r);
            x[r * width + s.task()] = 1f;
            for (int j = 0; j < bits; j++) {
                x[r * width + tasks + j] = (float) ((s.data() >>> j) & 1);
            }
        }
        return x;
    }
}
