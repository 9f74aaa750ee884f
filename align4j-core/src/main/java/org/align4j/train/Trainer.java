package org.align4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.align4j.InputException;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.OutOfHeapError;

/**
 * The training loop every algorithm shares, following HF Trainer's {@code _inner_training_loop}: the algorithm
 * supplies a {@link TrainingTask} (its model(s) and loss), the trainer does the rest.
 *
 * <p>Each epoch visits the training set in a seeded random order ({@link EpochSampler}: seed + epoch; in order with
 * {@code train_sampling_strategy} sequential) in micro-batches
 * of {@code per_device_train_batch_size} ({@link DatasetBatches}), or takes the micro-batches of another
 * {@link BatchSource} (an online algorithm's sampled completions). An optimizer step accumulates the gradients of
 * {@code gradient_accumulation_steps} micro-batches (an epoch's last window may be shorter), each micro-batch's loss
 * scaled by 1 / (micro-batches in the window) as HF scales it; then it clips the global gradient norm to
 * {@code max_grad_norm}, steps the optimizer ({@code optim}) at the scheduled learning rate, and zeroes the gradients.
 * Weight decay skips the 1-D parameters (biases and norm weights), as HF's {@code get_decay_parameter_names} does for
 * these architectures.
 With {@code gradient_checkpointing} the training forwards run on a {@link Tape#recording(boolean) checkpointing
 * tape}, so that the model recomputes each block in the backward pass.
 *
 * <p>Every {@code logging_steps} steps it appends to {@code log_history} and to {@code metrics.jsonl} an entry with
 * HF's names: {@code loss} (mean over the window's steps), {@code grad_norm} (of the last step, as HF logs it),
 * {@code learning_rate} (the rate for the next step, as HF logs it), the task's metrics (mean over the window's
 * micro-batches), {@code num_tokens} (cumulative, as TRL logs it), {@code tokens_per_second} (over the logging
 * window), {@code epoch} and {@code step}; the final summary entry holds HF's {@code train_runtime},
 * {@code train_samples_per_second}, {@code train_steps_per_second}, {@code train_tokens_per_second} and
 * {@code train_loss}. Evaluation ({@code eval_strategy}) appends {@code eval_}-prefixed metrics. Checkpoints
 * ({@code save_strategy}, and always at
 * the last step when saving by steps, as HF does) go to {@code output_dir/checkpoint-N}, written atomically: the
 * task's model files, {@code optimizer.safetensors}, {@code scheduler.json}, {@code rng_state.json} (data position and
 * the task's RNG state), {@code trainer_state.json} and {@code training_args.json}; {@code save_total_limit} deletes
 * the oldest. At the end the model and {@code trainer_state.json} are saved into {@code output_dir}, with
 * {@code training_loss.png}.
 *
 * <p>{@code resume_from_checkpoint} restores the model, optimizer, scheduler, data position and log history, so that
 * a resumed run takes exactly the steps an uninterrupted one would have taken (the logging window restarts at the
 * checkpoint, so logged values match when {@code save_steps} is a multiple of {@code logging_steps}). A NaN or
 * infinite loss stops the run with a {@link NonFiniteLossException} naming the step and the examples.
 *
 * @param <B> the example type of the task
 */
public final class Trainer<B> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final TrainingArguments args;
    private final TrainingTask<B> task;
    private final BatchSource<B> trainBatches;
    private final List<B> evalDataset;
    /** A chart drawn at the end of training ({@link #plotting}). */
    private record Curve(String file, String title, String yAxisTitle, List<MetricCurve.Series> series) {
    }

    private final List<Curve> curves = new ArrayList<>();
    private String reportTitle = "Training";
    private final RunFolder run;
    private final Map<String, Var> parameters;
    private final Optimizer optimizer;
    private final LearningRateSchedule schedule;
    private final TrainerState state = new TrainerState();
    private final List<TrainerCallback> callbacks = new ArrayList<>();

    private String configFile;
    private Record configOptions;
    private int epoch;
    private int microBatchesConsumed;

    private double windowLossSum;
    private int windowSteps;
    private long windowStartNanos;
    private long windowStartTokens;
    private final Map<String, double[]> windowMetrics = new LinkedHashMap<>();
    private double lastGradNorm = Double.NaN;
    private double lastStepLoss = Double.NaN;

    private double runLossSum;
    private long runSteps;
    private long runSamples;

    /**
     * A trainer for {@code task} on {@code trainDataset}, evaluating on {@code evalDataset} (may be empty when
     * {@code eval_strategy} is {@code no}).
     *
     * @throws InputException when the training set is empty or yields no micro-batch, or evaluation is
     *                                  asked for without an evaluation set
     */
    public Trainer(TrainingArguments args, TrainingTask<B> task, List<B> trainDataset, List<B> evalDataset) {
        this(args, task, datasetBatches(args, trainDataset), evalDataset);
    }

    /**
     * A trainer for {@code task} on the micro-batches of {@code trainBatches} (an online algorithm's sampled
     * completions, say), evaluating on {@code evalDataset} (may be empty when {@code eval_strategy} is {@code no}).
     *
     * @throws InputException when evaluation is asked for without an evaluation set
     */
    public Trainer(TrainingArguments args, TrainingTask<B> task, BatchSource<B> trainBatches, List<B> evalDataset) {
        this.args = args;
        this.task = task;
        this.trainBatches = trainBatches;
        this.evalDataset = evalDataset == null ? List.of() : List.copyOf(evalDataset);
        this.run = new RunFolder(args.outputPath());
        this.parameters = task.trainableParameters();
        if (args.evalOnStart() && this.evalDataset.isEmpty()) {
            throw new InputException("eval_on_start is set but no evaluation set was given");
        }
        if (args.evalStrategy() != TrainingArguments.IntervalStrategy.NO && this.evalDataset.isEmpty()) {
            throw new InputException("eval_strategy is " + args.evalStrategy()
                    + " but no evaluation set was given");
        }
        int microBatches = trainBatches.microBatchesPerEpoch();
        if (microBatches <= 0) {
            throw new IllegalArgumentException("a batch source must yield at least one micro-batch per epoch");
        }
        long updatesPerEpoch = Math.ceilDiv(microBatches, args.gradientAccumulationSteps());
        if (args.maxSteps() > 0) {
            state.maxSteps = args.maxSteps();
            state.numTrainEpochs = Math.ceilDiv(args.maxSteps(), updatesPerEpoch);
        } else {
            state.maxSteps = (long) Math.ceil(args.numTrainEpochs() * updatesPerEpoch);
            state.numTrainEpochs = (long) Math.ceil(args.numTrainEpochs());
        }
        state.loggingSteps = TrainingArguments.resolveInterval(args.loggingSteps(), state.maxSteps);
        state.evalSteps = args.evalSteps() != null
                ? TrainingArguments.resolveInterval(args.evalSteps(), state.maxSteps) : state.loggingSteps;
        state.saveSteps = TrainingArguments.resolveInterval(args.saveSteps(), state.maxSteps);
        state.trainBatchSize = args.perDeviceTrainBatchSize();
        this.schedule = args.scheduleFor(state.maxSteps);
        this.optimizer = Optimizers.create(args, parameters);
        args.warnings().forEach(w -> System.err.println("warning: " + w));
    }

    private static <B> DatasetBatches<B> datasetBatches(TrainingArguments args, List<B> trainDataset) {
        if (trainDataset.isEmpty()) {
            throw new InputException("the training set is empty");
        }
        DatasetBatches<B> batches = new DatasetBatches<>(trainDataset, args.perDeviceTrainBatchSize(),
                args.dataloaderDropLast(), args.seed(), args.shufflesTrainingSet());
        if (batches.microBatchesPerEpoch() == 0) {
            throw new InputException("a training set of " + trainDataset.size()
                    + " examples yields no full micro-batch of per_device_train_batch_size "
                    + args.perDeviceTrainBatchSize() + " with dataloader_drop_last");
        }
        return batches;
    }

    /**
     * Saves the algorithm's resolved configuration as {@code fileName} in the run folder when training starts (as
     * {@code sft_config.json} beside {@code training_args.json}): the training options, then {@code options};
     * returns this trainer.
     */
    public Trainer<B> savingConfig(String fileName, Record options) {
        this.configFile = fileName;
        this.configOptions = options;
        return this;
    }

    /**
     * With {@code plot_loss}, also draws {@code file} in the run folder at the end of training: the curves of
     * {@code series} against the step (e.g. DPO's reward margins); returns this trainer.
     */
    public Trainer<B> plotting(String file, String title, String yAxisTitle, List<MetricCurve.Series> series) {
        curves.add(new Curve(file, title, yAxisTitle, series));
        return this;
    }

    /** Heads the run's {@value RunReport#FILE_NAME} with {@code title} (e.g. "DPO"); returns this trainer. */
    public Trainer<B> reportTitle(String title) {
        this.reportTitle = title;
        return this;
    }

    /** Adds {@code callback}, called after every optimizer step (HF's {@code add_callback}); returns this trainer. */
    public Trainer<B> addCallback(TrainerCallback callback) {
        callbacks.add(callback);
        return this;
    }

    /** The run's progress (global step, epoch, log history, best metric). */
    public TrainerState state() {
        return state;
    }

    /** The optimizer built from {@code optim}. */
    public Optimizer optimizer() {
        return optimizer;
    }

    /** The learning-rate schedule over the run's {@code max_steps}. */
    public LearningRateSchedule schedule() {
        return schedule;
    }

    /**
     * Trains to {@code max_steps} (resuming first when {@code resume_from_checkpoint} says so), then saves the model,
     * {@code trainer_state.json} and the loss curve into {@code output_dir}.
     *
     * @throws NonFiniteLossException when a loss or the gradient norm is NaN or infinite
     * @throws IOException            when a checkpoint, log or the final model cannot be written
     */
    public TrainOutput train() throws IOException {
        Path checkpoint = CheckpointFolders.toResume(args.resumeFromCheckpoint(), run.directory());
        if (checkpoint != null) {
            resume(checkpoint);
        }
        run.start(state.logHistory);
        if (args.reportsToTensorBoard()) {
            run.reportToTensorBoard(args.tensorBoardDirectory());
        }
        run.replace(RunFolder.TRAINING_ARGS_FILE, args::save);
        if (configFile != null) {
            Map<String, Object> all = new LinkedHashMap<>(args.toOptions());
            all.putAll(OptionRecords.toOptions(configOptions));
            run.replace(configFile, file -> Files.writeString(file, OptionRecords.toJson(all)));
        }
        parameters.values().forEach(Var::zeroGrad);
        if (args.evalOnStart() && state.globalStep == 0) {
            evaluate();
        }
        long tokensAtStart = state.numInputTokensSeen;
        long started = System.nanoTime();
        windowStartNanos = started;
        windowStartTokens = state.numInputTokensSeen;
        int microBatches = trainBatches.microBatchesPerEpoch();
        try (RunFolder.Progress bar = run.progress("train", state.maxSteps, state.globalStep,
                args.progressBarDisabled())) {
            while (state.globalStep < state.maxSteps && epoch < state.numTrainEpochs) {
                int window = Math.min(args.gradientAccumulationSteps(), microBatches - microBatchesConsumed);
                try {
                    optimizerStep(window);
                } catch (OutOfMemoryError e) {
                    throw OutOfHeapError.of("running training step " + (state.globalStep + 1) + " (micro-batches of "
                            + args.perDeviceTrainBatchSize() + " examples through forward and backward, then the "
                            + args.optim() + " update)", e);
                }
                microBatchesConsumed += window;
                boolean epochEnded = microBatchesConsumed == microBatches;
                if (epochEnded) {
                    epoch++;
                    microBatchesConsumed = 0;
                }
                state.epoch = epoch + (double) microBatchesConsumed / microBatches;
                logEvaluateSave(epochEnded, state.globalStep >= state.maxSteps);
                double seconds = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
                bar.update(state.globalStep, " loss %.4f, %.0f tok/s", lastStepLoss,
                        (state.numInputTokensSeen - tokensAtStart) / seconds);
            }
        }
        double runtime = (System.nanoTime() - started) / 1e9;
        // over every step of the run, a resumed one included; a state saved without the total: the steps run here
        double trainLoss = !Double.isNaN(state.totalLoss) && state.globalStep > 0 ? state.totalLoss / state.globalStep
                : runSteps > 0 ? runLossSum / runSteps : 0.0;
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("train_runtime", runtime);
        summary.put("train_samples_per_second", runSamples / Math.max(runtime, 1e-9));
        summary.put("train_steps_per_second", runSteps / Math.max(runtime, 1e-9));
        summary.put("train_tokens_per_second", (state.numInputTokensSeen - tokensAtStart) / Math.max(runtime, 1e-9));
        summary.put("train_loss", trainLoss);
        summary.put("epoch", state.epoch);
        Map<String, Double> metrics = new LinkedHashMap<>();
        summary.forEach((k, v) -> metrics.put(k, ((Number) v).doubleValue()));
        appendLog(summary);
        if (args.loadBestModelAtEnd() && state.bestModelCheckpoint != null) {
            System.err.printf(Locale.ROOT, "loading best model from %s (%s: %s)%n", state.bestModelCheckpoint,
                    args.metricForBestModel(), state.bestMetric);
            task.loadModel(Path.of(state.bestModelCheckpoint));
        }
        run.saveFinalModel(task::saveFinalModel);
        run.replace(RunFolder.TRAINER_STATE_FILE, state::write);
        if (args.plotLoss()) {
            LossCurve.write(state.logHistory, run.directory().resolve(LossCurve.FILE_NAME));
            for (Curve curve : curves) {
                MetricCurve.write(state.logHistory, run.directory().resolve(curve.file()), curve.title(),
                        curve.yAxisTitle(), curve.series());
            }
        }
        RunReport.write(run, reportTitle);
        return new TrainOutput(state.globalStep, trainLoss, metrics);
    }

    /**
     * The seed of NEFTune's noise in micro-batch {@code microBatch} of step {@code step}: a function of the run's seed
     * and the position alone, so that a resumed run draws the noise an uninterrupted one would.
     */
    private long neftuneSeed(long step, int microBatch) {
        return new SplittableRandom(args.seed()).split().nextLong() + (step << 20) + ((long) microBatch << 10);
    }

    /** One optimizer step over the next {@code window} micro-batches of the epoch. */
    private void optimizerStep(int window) {
        long step = state.globalStep + 1;
        List<BatchSource.MicroBatch<B>> batches = new ArrayList<>(window);
        for (int j = 0; j < window; j++) {
            batches.add(trainBatches.microBatch(epoch, microBatchesConsumed + j));
        }
        if (optimizer instanceof ClosureOptimizer closure) {
            closureStep(closure, batches, step);
            return;
        }
        double stepLoss = 0;
        int microBatch = 0;
        for (BatchSource.MicroBatch<B> micro : batches) {
            List<B> batch = micro.items();
            Tape tape = Tape.recording(args.gradientCheckpointing(),
                    args.neftuneNoiseAlpha() == null ? 0 : args.neftuneNoiseAlpha(), neftuneSeed(step, microBatch++));
            TaskOutput out = task.loss(tape, batch);
            double loss = out.lossValue();
            if (!Double.isFinite(loss)) {
                throw new NonFiniteLossException("loss", loss, step, micro.indices());
            }
            tape.backward(window == 1 ? out.loss() : Ops.weightedSum(tape, out.loss(), new float[] {1f / window}));
            stepLoss += loss / window;
            recordMicroBatch(out, batch.size());
        }
        double gradNorm = GradientClipping.clipGradNorm(parameters.values(), args.maxGradNorm());
        if (!Double.isFinite(gradNorm)) {
            throw new NonFiniteLossException("gradient norm", gradNorm, step,
                    batches.stream().flatMapToInt(b -> Arrays.stream(b.indices())).toArray());
        }
        optimizer.step(parameters, schedule.learningRate(state.globalStep));
        parameters.values().forEach(Var::zeroGrad);
        finishStep(step, stepLoss, gradNorm);
    }

    /**
     * A step of an optimizer that evaluates the loss itself ({@link ClosureOptimizer}, e.g. MeZO): the closure is the
     * window's mean loss on inference tapes (forward only, no activations kept), and its metrics are recorded once
     * per step. The step's seed derives from the run seed and the step, so a resumed run draws the same directions.
     */
    private void closureStep(ClosureOptimizer closure, List<BatchSource.MicroBatch<B>> batches, long step) {
        boolean[] first = {true};
        ClosureOptimizer.StepReport report = closure.step(parameters, schedule.learningRate(state.globalStep),
                args.seed() * 1_000_003L + step, () -> {
                    double loss = 0;
                    for (BatchSource.MicroBatch<B> micro : batches) {
                        List<B> batch = micro.items();
                        TaskOutput out = task.loss(Tape.inference(), batch);
                        if (!Double.isFinite(out.lossValue())) {
                            throw new NonFiniteLossException("loss", out.lossValue(), step, micro.indices());
                        }
                        loss += out.lossValue() / batches.size();
                        if (first[0]) {
                            recordMicroBatch(out, batch.size());
                        }
                    }
                    first[0] = false;
                    return loss;
                });
        finishStep(step, report.loss(), report.gradNorm());
    }

    private void recordMicroBatch(TaskOutput out, int size) {
        out.metrics().forEach((name, value) -> {
            double[] sumAndCount = windowMetrics.computeIfAbsent(name, k -> new double[2]);
            sumAndCount[0] += value;
            sumAndCount[1]++;
        });
        state.numInputTokensSeen += out.tokens();
        runSamples += size;
    }

    private void finishStep(long step, double stepLoss, double gradNorm) {
        state.globalStep = step;
        task.onStepEnd(step);
        callbacks.forEach(c -> c.onStepEnd(state));
        windowLossSum += stepLoss;
        windowSteps++;
        lastGradNorm = gradNorm;
        lastStepLoss = stepLoss;
        runLossSum += stepLoss;
        runSteps++;
        state.totalLoss += stepLoss;
    }

    /** HF's {@code DefaultFlowCallback} decisions after a step, in HF's order: log, evaluate, save. */
    private void logEvaluateSave(boolean epochEnded, boolean lastStep) throws IOException {
        long step = state.globalStep;
        boolean log = switch (args.loggingStrategy()) {
            case NO -> false;
            case STEPS -> step % state.loggingSteps == 0 || (step == 1 && args.loggingFirstStep());
            case EPOCH -> epochEnded || (step == 1 && args.loggingFirstStep());
        };
        if (log) {
            logTrainingWindow();
        }
        boolean evaluate = switch (args.evalStrategy()) {
            case NO -> false;
            case STEPS -> step % state.evalSteps == 0;
            case EPOCH -> epochEnded || lastStep;
        };
        if (evaluate) {
            evaluate();
        }
        boolean save = switch (args.saveStrategy()) {
            case NO -> false;
            case STEPS -> step % state.saveSteps == 0 || lastStep;
            case EPOCH -> epochEnded || lastStep;
        };
        if (save) {
            saveCheckpoint();
        }
    }

    private void logTrainingWindow() throws IOException {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("loss", windowLossSum / windowSteps);
        entry.put("grad_norm", lastGradNorm);
        entry.put("learning_rate", schedule.learningRate(state.globalStep));
        windowMetrics.forEach((name, sumAndCount) -> entry.put(name, sumAndCount[0] / sumAndCount[1]));
        if (state.numInputTokensSeen > 0) {
            entry.put("num_tokens", state.numInputTokensSeen);
            long now = System.nanoTime();
            entry.put("tokens_per_second", (state.numInputTokensSeen - windowStartTokens)
                    / Math.max((now - windowStartNanos) / 1e9, 1e-9));
            windowStartNanos = now;
            windowStartTokens = state.numInputTokensSeen;
        }
        entry.put("epoch", state.epoch);
        appendLog(entry);
        windowLossSum = 0;
        windowSteps = 0;
        windowMetrics.clear();
    }

    /**
     * Runs the task over the evaluation set in order, in batches of {@code per_device_eval_batch_size}, and logs
     * HF's evaluation metrics: {@code eval_loss} (mean over examples of their batch's loss), the task's metrics as
     * {@code eval_<name>} (mean over batches), {@code eval_runtime}, {@code eval_samples_per_second} and
     * {@code eval_steps_per_second}. Updates {@code best_metric} when {@code metric_for_best_model} is set.
     *
     * @return the metrics
     * @throws IllegalStateException when there is no evaluation set
     */
    public Map<String, Double> evaluate() throws IOException {
        if (evalDataset.isEmpty()) {
            throw new IllegalStateException("no evaluation set was given");
        }
        long started = System.nanoTime();
        double lossSum = 0;
        int batches = 0;
        Map<String, double[]> sums = new LinkedHashMap<>();
        int batchSize = args.perDeviceEvalBatchSize();
        for (int from = 0; from < evalDataset.size(); from += batchSize) {
            List<B> batch = evalDataset.subList(from, Math.min(evalDataset.size(), from + batchSize));
            TaskOutput out = task.evaluationLoss(batch);
            lossSum += out.lossValue() * batch.size();
            batches++;
            out.metrics().forEach((name, value) -> {
                double[] sumAndCount = sums.computeIfAbsent(name, k -> new double[2]);
                sumAndCount[0] += value;
                sumAndCount[1]++;
            });
        }
        double runtime = Math.max((System.nanoTime() - started) / 1e9, 1e-9);
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("eval_loss", lossSum / evalDataset.size());
        sums.forEach((name, sumAndCount) -> metrics.put("eval_" + name, sumAndCount[0] / sumAndCount[1]));
        metrics.put("eval_runtime", runtime);
        metrics.put("eval_samples_per_second", evalDataset.size() / runtime);
        metrics.put("eval_steps_per_second", batches / runtime);
        Map<String, Object> entry = new LinkedHashMap<>(metrics);
        entry.put("epoch", state.epoch);
        appendLog(entry);
        updateBestMetric(metrics);
        return metrics;
    }

    private void updateBestMetric(Map<String, Double> metrics) {
        String name = args.metricForBestModel();
        if (name == null) {
            return;
        }
        String key = name.startsWith("eval_") ? name : "eval_" + name;
        Double value = metrics.get(key);
        if (value == null) {
            throw new InputException("metric_for_best_model: '" + key
                    + "' is not among the evaluation metrics " + metrics.keySet());
        }
        boolean better = state.bestMetric == null
                || (args.greaterMetricIsBetter() ? value > state.bestMetric : value < state.bestMetric);
        if (better) {
            state.bestMetric = value;
            state.bestGlobalStep = state.globalStep;
        }
    }

    private void saveCheckpoint() throws IOException {
        if (state.bestGlobalStep != null) {
            Path best = CheckpointFolders.of(run.directory(), state.bestGlobalStep);
            if (state.bestGlobalStep == state.globalStep || Files.isDirectory(best)) {
                state.bestModelCheckpoint = best.toString();
            }
        }
        ObjectNode rngState = rngState();
        Map<String, Object> schedulerState = schedule.state(state.globalStep);
        run.writeCheckpoint(state.globalStep, args.saveTotalLimit(),
                state.bestModelCheckpoint == null ? null : Path.of(state.bestModelCheckpoint), dir -> {
                    task.saveModel(dir);
                    optimizer.save(dir.resolve(RunFolder.OPTIMIZER_FILE));
                    JSON.writeValue(dir.resolve(RunFolder.SCHEDULER_FILE).toFile(), schedulerState);
                    JSON.writeValue(dir.resolve(RunFolder.RNG_STATE_FILE).toFile(), rngState);
                    state.write(dir.resolve(RunFolder.TRAINER_STATE_FILE));
                    args.save(dir.resolve(RunFolder.TRAINING_ARGS_FILE));
                });
    }

    private ObjectNode rngState() {
        ObjectNode node = JSON.createObjectNode();
        ObjectNode position = node.putObject("sampler");
        position.put("seed", args.seed());
        position.put("num_examples", trainBatches.examples());
        position.put("micro_batches_per_epoch", trainBatches.microBatchesPerEpoch());
        position.put("epoch", epoch);
        position.put("micro_batches_consumed", microBatchesConsumed);
        node.set("task", task.rngState());
        node.set("batches", trainBatches.state());
        return node;
    }

    private void resume(Path checkpoint) {
        TrainerState saved = TrainerState.read(checkpoint.resolve(RunFolder.TRAINER_STATE_FILE));
        RunFolder.requireScheduleAt(checkpoint, saved.globalStep);
        JsonNode rng = RunFolder.readJson(checkpoint.resolve(RunFolder.RNG_STATE_FILE));
        JsonNode position = rng.path("sampler");
        if (position.path("num_examples").asLong(-1) != trainBatches.examples()) {
            throw new InputException(checkpoint + ": written for a training set of "
                    + position.path("num_examples") + " examples, this run has " + trainBatches.examples());
        }
        if (position.path("micro_batches_per_epoch").asLong(-1) != trainBatches.microBatchesPerEpoch()) {
            throw new InputException(checkpoint + ": written with " + position.path("micro_batches_per_epoch")
                    + " micro-batches per epoch, this run has " + trainBatches.microBatchesPerEpoch()
                    + " (per_device_train_batch_size or dataloader_drop_last changed)");
        }
        task.loadModel(checkpoint);
        optimizer.load(checkpoint.resolve(RunFolder.OPTIMIZER_FILE), parameters);
        task.restoreRngState(rng.path("task"));
        try {
            trainBatches.restoreState(rng.path("batches"));
        } catch (InputException e) {
            throw new InputException(checkpoint.resolve(RunFolder.RNG_STATE_FILE) + ": " + e.getMessage(), e);
        }
        epoch = position.path("epoch").asInt();
        microBatchesConsumed = position.path("micro_batches_consumed").asInt();
        state.globalStep = saved.globalStep;
        state.epoch = saved.epoch;
        state.logHistory.clear();
        state.logHistory.addAll(saved.logHistory);
        state.bestMetric = saved.bestMetric;
        state.bestGlobalStep = saved.bestGlobalStep;
        state.bestModelCheckpoint = saved.bestModelCheckpoint;
        state.numInputTokensSeen = saved.numInputTokensSeen;
        state.totalLoss = saved.totalLoss;
    }

    private void appendLog(Map<String, Object> entry) throws IOException {
        entry.put("step", state.globalStep);
        state.logHistory.add(entry);
        run.appendMetrics(entry);
    }
}
