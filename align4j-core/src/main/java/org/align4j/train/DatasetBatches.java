package org.align4j.train;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A dataset as a {@link BatchSource}: each epoch visits the examples in the order of an {@link EpochSampler}
 * (seed + epoch), or in dataset order, in micro-batches of {@code per_device_train_batch_size}.
 *
 * @param <B> the example type
 */
public final class DatasetBatches<B> implements BatchSource<B> {
    private final List<B> dataset;
    private final EpochSampler sampler;
    private final boolean shuffle;
    private int permutationEpoch = -1;
    private int[] permutation;

    /**
     * The examples of {@code dataset} in micro-batches of {@code batchSize}, shuffled with {@code seed} + epoch when
     * {@code shuffle}, else in order.
     */
    public DatasetBatches(List<B> dataset, int batchSize, boolean dropLast, long seed, boolean shuffle) {
        this.dataset = List.copyOf(dataset);
        this.sampler = new EpochSampler(this.dataset.size(), batchSize, dropLast, seed);
        this.shuffle = shuffle;
    }

    @Override
    public int examples() {
        return dataset.size();
    }

    @Override
    public int microBatchesPerEpoch() {
        return sampler.microBatchesPerEpoch();
    }

    @Override
    public MicroBatch<B> microBatch(int epoch, int index) {
        if (permutationEpoch != epoch) {
            permutation = shuffle ? sampler.permutation(epoch) : IntStream.range(0, dataset.size()).toArray();
            permutationEpoch = epoch;
        }
        int[] indices = sampler.microBatch(permutation, index);
        List<B> items = new ArrayList<>(indices.length);
        for (int i : indices) {
            items.add(dataset.get(i));
        }
        return new MicroBatch<>(items, indices);
    }
}
