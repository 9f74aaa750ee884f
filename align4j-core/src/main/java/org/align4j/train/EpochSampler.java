package org.align4j.train;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The order in which the trainer visits a training set: each epoch a fresh permutation of the example indices,
 * drawn from a generator seeded with {@code seed + epoch} (as accelerate's seedable sampler reseeds HF Trainer's
 * {@code RandomSampler} every epoch), cut into micro-batches of {@code batchSize} consecutive indices. The order is
 * a pure function of (seed, epoch), so a resumed run needs only its epoch and how many micro-batches it consumed.
 */
public final class EpochSampler {
    private final int size;
    private final int batchSize;
    private final boolean dropLast;
    private final long seed;

    /**
     * A sampler over {@code size} examples.
     *
     * @param dropLast whether an epoch's last, incomplete micro-batch is dropped ({@code dataloader_drop_last})
     */
    public EpochSampler(int size, int batchSize, boolean dropLast, long seed) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be > 0, got " + batchSize);
        }
        this.size = size;
        this.batchSize = batchSize;
        this.dropLast = dropLast;
        this.seed = seed;
    }

    /** Number of examples. */
    public int size() {
        return size;
    }

    /** Micro-batches in each epoch. */
    public int microBatchesPerEpoch() {
        return dropLast ? size / batchSize : (size + batchSize - 1) / batchSize;
    }

    /** The example indices of epoch {@code epoch} in visiting order (a Fisher-Yates shuffle). */
    public int[] permutation(int epoch) {
        return shuffled(size, new SplittableRandom(seed + epoch));
    }

    /** 0 .. size − 1 in the order of a Fisher-Yates shuffle drawing from {@code rng}. */
    public static int[] shuffled(int size, SplittableRandom rng) {
        int[] order = new int[size];
        Arrays.setAll(order, i -> i);
        for (int i = size - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }

    /** The example indices of micro-batch {@code index} of an epoch whose order is {@code permutation}. */
    public int[] microBatch(int[] permutation, int index) {
        if (index < 0 || index >= microBatchesPerEpoch()) {
            throw new IndexOutOfBoundsException("micro-batch " + index + " of " + microBatchesPerEpoch());
        }
        int from = index * batchSize;
        return Arrays.copyOfRange(permutation, from, Math.min(size, from + batchSize));
    }
}
