package org.align4j.align.dpo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.InputException;
import org.align4j.align.LossWithGradient;
import org.align4j.align.PolicyTask;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.data.PreferencePair;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.model.HfModels;
import org.align4j.model.io.Dtype;
import org.align4j.train.TaskOutput;
import org.align4j.train.TrainingTask;

/**
 * DPO as a {@link TrainingTask} of the shared trainer: the loss of TRL's {@code DPOTrainer._compute_loss} on a
 * micro-batch of preference pairs (Rafailov et al. 2023, eq. 7, and every {@link DpoLossType}).
 *
 * <p>One forward pass of the policy runs over [chosen..., rejected...] ({@link PreferenceBatch}); the per-token
 * log-probabilities of the completions are reduced to sequence log-probabilities ({@link CompletionLogpReduction}:
 * sums, or LD-DPO's), the reference supplies its own ({@link ReferenceLogProbs}), and {@link DpoLoss} gives the loss
 * and its gradient per sequence. The gradient goes back into the model as per-token weights of one
 * {@code Ops.weightedSum} over the token log-probabilities; the returned scalar has the loss as its value and that
 * weighted sum's gradient.
 *
 * <p>Logged metrics, under TRL's names: {@code rewards/chosen}, {@code rewards/rejected}, {@code rewards/accuracies},
 * {@code rewards/margins}, {@code logps/chosen}, {@code logps/rejected} ({@link DpoMetrics}), {@code entropy},
 * {@code mean_token_accuracy}, {@code logits/chosen}, {@code logits/rejected} ({@link CompletionLogitStatistics});
 * the token count is that of all 2n rows (TRL's {@code num_tokens}).
 *
 * <p>With {@link ReferenceSync}, the reference model is updated after every {@code ref_model_sync_steps} optimizer
 * steps (TR-DPO), and checkpoints carry the updated reference in {@value #REF_MODEL_FOLDER} so that a resumed run
 * continues from it.
 */
public final class DpoTask extends PolicyTask<PreferencePair> {
    /** The subfolder of a checkpoint holding the TR-DPO-updated reference model. */
    public static final String REF_MODEL_FOLDER = "ref_model";

    private final ReferenceLogProbs reference;
    private final DpoLoss loss;
    private final int padId;
    private final ReferenceSync sync;

    /**
     * TR-DPO's reference updates (TRL's {@code sync_ref_model}).
     *
     * @param reference the reference model, updated in place
     * @param alpha     {@code ref_model_mixup_alpha}: π_ref ← α π_θ + (1 − α) π_ref
     * @param steps     {@code ref_model_sync_steps}: update after every this many optimizer steps
     */
    public record ReferenceSync(ModelReference reference, double alpha, int steps) {
        /** Validates alpha and steps. */
        public ReferenceSync {
            if (reference == null) {
                throw new InputException("sync_ref_model needs a reference model");
            }
            if (!(alpha >= 0 && alpha <= 1)) {
                throw new InputException("ref_model_mixup_alpha must be in [0, 1], got " + alpha);
            }
            if (steps <= 0) {
                throw new InputException("ref_model_sync_steps must be > 0, got " + steps);
            }
        }
    }

    /**
     * A task training {@code policy} against {@code reference}.
     *
     * @param padId  the id padding the rows (any id: padding is masked)
     * @param sync   TR-DPO's reference updates, or null for a fixed reference
     * @param writer how checkpoints and the final model are written
     */
    public DpoTask(CausalLM policy, ReferenceLogProbs reference, DpoLossConfig lossConfig, int padId,
                   ReferenceSync sync, HfModelWriter writer) {
        super(policy, writer);
        if (reference == null || lossConfig == null) {
            throw new IllegalArgumentException("a reference and a loss configuration are required");
        }
        this.reference = reference;
        this.loss = new DpoLoss(lossConfig);
        this.padId = padId;
        this.sync = sync;
    }

    /** Where the task gets the reference log-probabilities. */
    public ReferenceLogProbs reference() {
        return reference;
    }

    /** The loss options. */
    public DpoLossConfig lossConfig() {
        return loss.config();
    }

    /** The id padding the rows. */
    public int padId() {
        return padId;
    }

    /**
     * How many items of {@code pairs} each metric of {@link #loss} averages over: the pairs for the rewards and
     * log-probabilities ({@link DpoMetrics}), the completion tokens for the statistics of the logits
     * ({@link CompletionLogitStatistics#tokenCounts}). The metrics of disjoint batches, averaged with these weights,
     * are the metrics of their union (as data-parallel training combines its shards').
     */
    public Map<String, Double> metricWeights(List<PreferencePair> pairs) {
        Map<String, Double> weights = new LinkedHashMap<>();
        CompletionLogitStatistics.tokenCounts(PreferenceBatch.of(pairs, padId))
                .forEach((name, tokens) -> weights.put(name, (double) tokens));
        DpoMetrics.NAMES.forEach(name -> weights.put(name, (double) pairs.size()));
        return weights;
    }

    /**
     * What one batch computed: the loss result, the statistics of the policy's logits, the loss scalar on the tape and
     * the batch's token count.
     */
    record Computation(DpoLoss.Result result, CompletionLogitStatistics statistics, Var loss, int tokens) {
    }

    @Override
    public TaskOutput loss(Tape tape, List<PreferencePair> pairs) {
        Computation c = compute(tape, pairs);
        Map<String, Double> metrics = new LinkedHashMap<>(c.statistics().metrics());
        metrics.putAll(c.result().metrics().asMap());
        return new TaskOutput(c.loss(), metrics, c.tokens());
    }

    /** The loss, its gradient surrogate on {@code tape} and the metrics' inputs of one batch. */
    Computation compute(Tape tape, List<PreferencePair> pairs) {
        PreferenceBatch batch = PreferenceBatch.of(pairs, padId);
        Var hidden = policy.hiddenStates(tape, batch.input());
        boolean weighting = loss.config().useWeighting();
        CompletionLogitStatistics statistics = new CompletionLogitStatistics(batch, weighting);
        Var logp = batch.tokenLogProbs(tape, policy, hidden, statistics);
        CompletionLogpReduction reduction = batch.reduction(loss.config());
        PreferenceBatch.SequenceLogps ref = reference.logps(batch, reduction);
        double[][] chosen = batch.chosenValues(logp);
        double[][] rejected = batch.rejectedValues(logp);
        DpoLossInput lossInput = reduction.batch(chosen, rejected, ref.chosen(), ref.rejected());
        if (weighting) {
            double[] squared = statistics.logSumSquaredProbs();
            lossInput = lossInput.withWpoWeights(
                    WpoWeighting.sequenceWeights(chosen, batch.chosenValues(squared), batch.chosenMask()),
                    WpoWeighting.sequenceWeights(rejected, batch.rejectedValues(squared), batch.rejectedMask()));
        }
        DpoLoss.Result result = loss.compute(lossInput);
        Var value = LossWithGradient.of(tape, logp, batch.rowWeights(reduction.tokenGradients(result)), result.loss());
        return new Computation(result, statistics, value, batch.tokens());
    }

    @Override
    public void onStepEnd(long globalStep) {
        if (sync != null && globalStep % sync.steps() == 0) {
            sync.reference().mixIn(policy, sync.alpha());
        }
    }

    /** A checkpoint's model files: the policy's float32 weights (or its adapter), and a synced reference's. */
    @Override
    public void saveModel(Path directory) {
        super.saveModel(directory);
        saveReference(directory);
    }

    /** The final model files: the policy in its dtype (the input checkpoint's unless chosen), or its adapter. */
    @Override
    public void saveFinalModel(Path directory) {
        super.saveFinalModel(directory);
        saveReference(directory);
    }

    private void saveReference(Path directory) {
        if (sync != null) {
            Path ref = directory.resolve(REF_MODEL_FOLDER);
            try {
                Files.createDirectories(ref);
                HfModels.write(sync.reference().model(), ref, Dtype.F32, null, 0);
            } catch (IOException e) {
                throw new UncheckedIOException(ref + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public void loadModel(Path directory) {
        super.loadModel(directory);
        if (sync != null) {
            HfModels.loadWeights(sync.reference().model(), directory.resolve(REF_MODEL_FOLDER));
        }
    }
}
