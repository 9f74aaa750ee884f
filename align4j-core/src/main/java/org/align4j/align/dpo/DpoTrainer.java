package org.align4j.align.dpo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.align4j.InputException;
import org.align4j.align.Dropout;
import org.align4j.nn.LoraModel;
import org.align4j.data.DataException;
import org.align4j.data.Example;
import org.align4j.data.PreferencePair;
import org.align4j.data.PreferenceTokenization;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.MetricCurve;
import org.align4j.train.TrainOutput;
import org.align4j.train.Trainer;
import org.align4j.train.TrainerCallback;
import org.align4j.train.TrainerState;
import org.align4j.train.TrainingTask;

/**
 * TRL's {@code DPOTrainer} (Rafailov et al. 2023, "Direct Preference Optimization: Your Language Model is Secretly a
 * Reward Model", eq. 7, and the loss family of {@link DpoLossType}) on the shared {@link Trainer}: the same inputs as
 * TRL's constructor ({@code model}, {@code ref_model}, {@code args}, {@code train_dataset}, {@code eval_dataset},
 * {@code processing_class}) and the same {@link #train()}.
 *
 * <p>The datasets are tokenized as TRL prepares them ({@link PreferenceTokenization}); the reference is
 * {@code ref_model} when given, else a frozen copy of {@code model} as it is before training. With
 * {@code precompute_ref_log_probs} the reference log-probabilities of both datasets are computed once (or read from
 * {@code output_dir/ref_logps-<key>.json} left by an earlier run, see {@link PrecomputedReference}) and the reference
 * model is not kept; with {@code sync_ref_model} it is updated by TR-DPO. The run writes what the shared trainer
 * writes ({@code metrics.jsonl}, checkpoints, the final model with its tokenizer files, {@code training_loss.png}),
 * the resolved configuration ({@value DpoConfig#FILE_NAME}) and, with {@code plot_loss}, {@value #MARGINS_PNG} and
 * {@value #ACCURACIES_PNG}. Notes and warnings (dropped examples, cache use) go to standard error.
 */
public final class DpoTrainer {
    /** The chart of {@code rewards/margins} (train and eval). */
    public static final String MARGINS_PNG = "rewards_margins.png";
    /** The chart of {@code rewards/accuracies} (train and eval). */
    public static final String ACCURACIES_PNG = "rewards_accuracies.png";

    private final CausalLM model;
    /** The reference model; released once its log-probs are precomputed, so that its weights can be collected. */
    private CausalLM refModel;
    private final DpoConfig args;
    private final List<PreferencePair> trainPairs;
    private final List<PreferencePair> evalPairs;
    private final int padId;
    private final HfModelWriter writer;
    private final List<TrainerCallback> callbacks = new ArrayList<>();
    private Function<DpoTask, TrainingTask<PreferencePair>> taskWrapper = task -> task;

    /**
     * What a run did.
     *
     * @param output             the trainer's summary
     * @param state              its final state (log history)
     * @param trainPairs         training pairs used (after dropping)
     * @param referenceFromCache with {@code precompute_ref_log_probs}: whether every precomputed set was read from
     *                           its cache file; false otherwise
     */
    public record Result(TrainOutput output, TrainerState state, int trainPairs, boolean referenceFromCache) {
    }

    /**
     * A trainer of {@code model}.
     *
     * @param refModel        the reference model, or null for a frozen copy of {@code model}
     * @param evalDataset     evaluation examples (may be empty unless {@code eval_strategy} asks for evaluation)
     * @param processingClass the tokenizer; null when every example is pre-tokenized
     * @param writer          how checkpoints and the final model are written (generation config, tokenizer files)
     * @throws DataException            for an example that cannot be tokenized or does not fit the model
     * @throws IllegalArgumentException when no training pair is left or the reference does not match the model
     */
    public DpoTrainer(CausalLM model, CausalLM refModel, DpoConfig args, List<Example> trainDataset,
                      List<Example> evalDataset, Tokenizer processingClass, HfModelWriter writer) {
        if (refModel != null && refModel.config().vocabSize() != model.config().vocabSize()) {
            throw new InputException("the reference model's vocabulary (" + refModel.config().vocabSize()
                    + ") differs from the model's (" + model.config().vocabSize() + ")");
        }
        this.model = model;
        this.refModel = refModel;
        this.args = args;
        Dropout.apply(model, args.options().disableDropout());
        this.writer = writer;
        this.padId = PreferencePairs.padId(processingClass, model, args.options().padToken());
        PreferenceTokenization tokenization = new PreferenceTokenization(processingClass, args.options().maxLength(),
                args.options().truncationMode());
        this.trainPairs = prepare(tokenization, trainDataset, "train");
        this.evalPairs = evalDataset == null || evalDataset.isEmpty() ? List.of()
                : prepare(tokenization, evalDataset, "eval");
        if (trainPairs.isEmpty()) {
            throw new InputException("no training pair is left after tokenization (max_length "
                    + args.options().maxLength() + ")");
        }
    }

    private List<PreferencePair> prepare(PreferenceTokenization tokenization, List<Example> examples, String split) {
        return PreferencePairs.prepare(tokenization, examples, model, args.options().maxLength(), "dpo", split);
    }

    /** Adds {@code callback} to the run's trainer (TRL's {@code callbacks}); returns this trainer. */
    public DpoTrainer addCallback(TrainerCallback callback) {
        callbacks.add(callback);
        return this;
    }

    /**
     * Has the run train {@code wrapper}'s task in place of the {@link DpoTask} it builds (which the wrapper gets, its
     * reference and loss options included), e.g. one that computes each batch's loss and gradient data-parallel on a
     * cluster, as align4j-spark's does; returns this trainer.
     */
    public DpoTrainer wrapTask(Function<DpoTask, TrainingTask<PreferencePair>> wrapper) {
        taskWrapper = wrapper;
        return this;
    }

    /** The tokenized training pairs. */
    public List<PreferencePair> trainDataset() {
        return trainPairs;
    }

    /**
     * Trains (resuming when {@code resume_from_checkpoint} says so) and writes the run folder.
     *
     * @throws IOException when the run folder cannot be written
     */
    public Result train() throws IOException {
        Path outputDir = args.training().outputPath();
        Files.createDirectories(outputDir);
        args.save(outputDir.resolve(DpoConfig.FILE_NAME));
        DpoLossConfig loss = args.loss();
        ReferenceLogProbs reference;
        DpoTask.ReferenceSync sync = null;
        boolean fromCache = false;
        if (args.options().precomputeRefLogProbs()) {
            CausalLM source = refModel != null ? refModel : model;
            PrecomputedReference.Loaded train = precompute(outputDir, trainPairs, source, loss, false, "train");
            PrecomputedReference all = train.reference();
            fromCache = train.fromCache();
            if (!evalPairs.isEmpty()) {
                PrecomputedReference.Loaded eval = precompute(outputDir, evalPairs, source, loss, true, "eval");
                all = all.and(eval.reference());
                fromCache &= eval.fromCache();
            }
            reference = all;
            refModel = null;
        } else if (refModel == null && model instanceof LoraModel lora) {
            if (args.options().syncRefModel()) {
                throw new InputException("sync_ref_model needs a reference model of its own; a LoRA policy's"
                        + " reference is its base (adapters disabled): pass --ref-model");
            }
            reference = new AdapterDisabledReference(lora);
        } else {
            ModelReference modelReference = refModel != null ? new ModelReference(refModel)
                    : ModelReference.frozenCopyOf(model);
            if (args.options().syncRefModel()) {
                sync = new DpoTask.ReferenceSync(modelReference, args.options().refModelMixupAlpha(),
                        args.options().refModelSyncSteps());
            }
            reference = modelReference;
        }
        DpoTask task = new DpoTask(model, reference, loss, padId, sync, writer);
        Trainer<PreferencePair> trainer = new Trainer<>(args.training(), taskWrapper.apply(task), trainPairs, evalPairs)
                .reportTitle("DPO")
                .plotting(MARGINS_PNG, "Reward margins", "rewards/margins", MetricCurve.trainAndEval("rewards/margins"))
                .plotting(ACCURACIES_PNG, "Reward accuracies", "rewards/accuracies",
                        MetricCurve.trainAndEval("rewards/accuracies"));
        callbacks.forEach(trainer::addCallback);
        TrainOutput output = trainer.train();
        return new Result(output, trainer.state(), trainPairs.size(), fromCache);
    }

    private PrecomputedReference.Loaded precompute(Path outputDir, List<PreferencePair> pairs, CausalLM source,
                                                   DpoLossConfig loss, boolean evaluation, String split) {
        PrecomputedReference.Loaded loaded = PrecomputedReference.loadOrCompute(outputDir, pairs, source, loss,
                args.precomputeRefBatchSize(evaluation), padId);
        System.err.println("dpo: " + split + " reference log-probs " + (loaded.fromCache() ? "read from cache "
                : "computed and cached in ") + loaded.file());
        return loaded;
    }
}
