package org.align4j.align.dpo;

/**
 * The reward shift δ of BCO (Jung et al. 2024, "Binary Classifier Optimization for Large Language Model Alignment",
 * arXiv 2404.04656): a running mean, across batches, of the batch-mean implicit reward, as TRL's {@code bco_pair} kept
 * it in a {@code RunningMoments} until the DPO refactor; TRL 1.13's {@code bco_pair} has no shift (the golden values
 * confirm it), so {@link DpoLoss#compute(DpoLossInput)} applies none. Pass an instance to
 * {@link DpoLoss#compute(DpoLossInput, BcoRewardShift)} to train with the paper's shifted loss
 * -log σ(βu - δ) - log σ(-(βv - δ)); δ is a constant for the gradient (TRL detached it).
 *
 * <p>The state is mutable, owned by one training run, and must be saved with checkpoints ({@link #mean()},
 * {@link #count()}, {@link #BcoRewardShift(double, double)}) or a resumed run starts its δ from scratch.
 */
public final class BcoRewardShift {
    /** RunningMoments' initial count, which makes the first update take the batch mean as the running mean. */
    private static final double INITIAL_COUNT = 1e-24;

    private double mean;
    private double count;

    /** A fresh state (mean 0, as RunningMoments starts). */
    public BcoRewardShift() {
        this(0, INITIAL_COUNT);
    }

    /** A state restored from a checkpoint. */
    public BcoRewardShift(double mean, double count) {
        if (!Double.isFinite(mean) || !(count > 0) || !Double.isFinite(count)) {
            throw new IllegalArgumentException("BCO reward shift needs a finite mean and a count > 0, got mean " + mean
                    + ", count " + count);
        }
        this.mean = mean;
        this.count = count;
    }

    /**
     * Folds in one batch whose mean reward (over its chosen and rejected rewards together) is {@code batchMeanReward}
     * and returns the new δ: RunningMoments' update with a single sample, i.e. the running average of batch means.
     */
    public double update(double batchMeanReward) {
        if (!Double.isFinite(batchMeanReward)) {
            throw new IllegalArgumentException("batch mean reward is " + batchMeanReward);
        }
        double total = count + 1;
        mean += (batchMeanReward - mean) / total;
        count = total;
        return mean;
    }

    /** The current δ. */
    public double mean() {
        return mean;
    }

    /** The number of batches folded in (plus RunningMoments' initial 1e-24). */
    public double count() {
        return count;
    }
}
