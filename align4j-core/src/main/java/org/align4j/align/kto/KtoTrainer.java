package org.align4j.align.kto;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import org.align4j.InputException;
import org.align4j.align.Dropout;
import org.align4j.align.ReferencePolicy;
import org.align4j.align.dpo.DpoTrainer;
import org.align4j.align.dpo.PreferencePairs;
import org.align4j.data.Example;
import org.align4j.data.PreferenceTokenization;
import org.align4j.data.TruncationMode;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.MetricCurve;
import org.align4j.train.TrainOutput;
import org.align4j.train.Trainer;
import org.align4j.train.TrainerCallback;
import org.align4j.train.TrainerState;

/**
 * TRL's {@code KTOTrainer}: Kahneman-Tversky Optimization (Ethayarajh et al. 2024, eq. 7; {@link KtoLoss}) on the
 * shared trainer, with the same inputs as TRL's constructor. The data is unpaired ({@code {"prompt", "completion",
 * "label"}}) or paired preference data, which is unpaired first ({@link KtoData}); the reference is
 * {@code ref_model}, else the LoRA policy with its adapters disabled, else a frozen copy of the model
 * ({@link ReferencePolicy}). The run folder is what every trainer writes, with {@value KtoConfig#FILE_NAME} and DPO's
 * reward-margin chart. As TRL, it warns when the desirable and undesirable examples are unbalanced and the weights
 * are outside the range the KTO paper recommends (eq. 8).
 */
public final class KtoTrainer {
    private final Trainer<KtoExample> trainer;
    private final int examples;

    /**
     * What a run did.
     *
     * @param output   the trainer's summary
     * @param state    its final state (log history)
     * @param examples training examples used (after unpairing and dropping)
     */
    public record Result(TrainOutput output, TrainerState state, int examples) {
    }

    /**
     * A trainer of {@code model}.
     *
     * @param refModel        the reference model, or null (see the class comment)
     * @param evalDataset     evaluation examples (may be empty unless {@code eval_strategy} asks for evaluation)
     * @param processingClass the tokenizer; null when every example is pre-tokenized
     * @param writer          how checkpoints and the final model are written
     */
    public KtoTrainer(CausalLM model, CausalLM refModel, KtoConfig args, List<Example> trainDataset,
                      List<Example> evalDataset, Tokenizer processingClass, HfModelWriter writer) {
        if (refModel != null && refModel.config().vocabSize() != model.config().vocabSize()) {
            throw new InputException("the reference model's vocabulary (" + refModel.config().vocabSize()
                    + ") differs from the model's (" + model.config().vocabSize() + ")");
        }
        KtoConfig.Options o = args.options();
        Dropout.apply(model, o.disableDropout());
        KtoLoss loss = args.loss();
        PreferenceTokenization tokenization = new PreferenceTokenization(processingClass, o.maxLength(),
                TruncationMode.KEEP_START);
        int batch = args.training().perDeviceTrainBatchSize();
        KtoData.Prepared train = prepare(tokenization, trainDataset, batch, loss, model, "train");
        if (train.examples().isEmpty()) {
            throw new InputException("no training example is left after tokenization (max_length " + o.maxLength()
                    + ")");
        }
        warnAboutWeights(train, o);
        List<KtoExample> eval = evalDataset == null || evalDataset.isEmpty() ? List.of()
                : prepare(tokenization, evalDataset, args.training().perDeviceEvalBatchSize(), loss, model, "eval")
                .examples();
        this.examples = train.examples().size();
        int padId = PreferencePairs.padId(processingClass, model, null);
        KtoTask task = new KtoTask(model, ReferencePolicy.of(model, refModel), loss, padId, writer);
        this.trainer = new Trainer<>(args.training(), task, train.examples(), eval)
                .reportTitle("KTO")
                .savingConfig(KtoConfig.FILE_NAME, o)
                .plotting(DpoTrainer.MARGINS_PNG, "Reward margins", "rewards/margins",
                        MetricCurve.trainAndEval("rewards/margins"));
    }

    private static KtoData.Prepared prepare(PreferenceTokenization tokenization, List<Example> dataset, int batch,
                                            KtoLoss loss, CausalLM model, String split) {
        KtoData.Prepared prepared = KtoData.prepare(tokenization, dataset, batch, loss.needsKl());
        if (prepared.dropped() > 0) {
            System.err.println("kto: warning: " + split + " dataset: dropped " + prepared.dropped() + " examples "
                    + "whose prompt alone reaches max_length");
        }
        for (KtoExample e : prepared.examples()) {
            e.sequence().requireFits(model.config().vocabSize(), model.config().maxPositions(),
                    e.sequence().source());
        }
        return prepared;
    }

    /** TRL's warning for unbalanced data whose weights are outside the KTO paper's recommended range (eq. 8). */
    private static void warnAboutWeights(KtoData.Prepared train, KtoConfig.Options o) {
        int desirable = Math.max(train.desirable(), 1);
        int undesirable = Math.max(train.examples().size() - train.desirable(), 1);
        if (desirable == undesirable) {
            return;
        }
        double desirableLow = round(undesirable * o.undesirableWeight() / desirable);
        double desirableHigh = round(undesirable * o.undesirableWeight() / desirable * 1.33);
        double undesirableLow = round(desirable * o.desirableWeight() / undesirable / 1.33);
        double undesirableHigh = round(desirable * o.desirableWeight() / undesirable);
        boolean desirableOk = desirableLow <= o.desirableWeight() && o.desirableWeight() <= desirableHigh;
        boolean undesirableOk = undesirableLow <= o.undesirableWeight() && o.undesirableWeight() <= undesirableHigh;
        if (!(desirableOk || undesirableOk)) {
            System.err.printf(Locale.ROOT, "kto: warning: %d desirable and %d undesirable examples, but the weights "
                    + "are outside the recommended range: use EITHER desirable_weight in [%.2f, %.2f] or "
                    + "undesirable_weight in [%.2f, %.2f] (not both)%n", desirable, undesirable, desirableLow,
                    desirableHigh, undesirableLow, undesirableHigh);
        }
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }

    /** Adds {@code callback} to the run's trainer; returns this trainer. */
    public KtoTrainer addCallback(TrainerCallback callback) {
        trainer.addCallback(callback);
        return this;
    }

    /**
     * Trains (resuming when {@code resume_from_checkpoint} says so) and writes the run folder.
     *
     * @throws IOException when the run folder cannot be written
     */
    public Result train() throws IOException {
        TrainOutput output = trainer.train();
        return new Result(output, trainer.state(), examples);
    }
}
