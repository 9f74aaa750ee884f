package org.align4j.spark;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.InputException;
import org.align4j.StrictJson;
import org.align4j.align.dpo.AdapterDisabledReference;
import org.align4j.align.dpo.DpoLossConfig;
import org.align4j.align.dpo.DpoLossType;
import org.align4j.align.dpo.DpoTask;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.data.PreferencePair;
import org.align4j.model.HfModelWriter;
import org.align4j.model.HfModels;
import org.align4j.model.io.Dtype;
import org.align4j.nn.LoraConfig;
import org.align4j.nn.LoraModel;
import org.align4j.nn.PeftTaskType;
import org.align4j.train.TaskOutput;
import org.align4j.train.TrainingTask;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;

/**
 * DPO of a LoRA policy (Rafailov et al. 2023, "Direct Preference Optimization", eq. 7, and every other
 * {@link DpoLossType} that is a mean over pairs) with each micro-batch's loss and adapter gradient computed
 * data-parallel on a Spark cluster, trained by the core {@link org.align4j.train.Trainer} unchanged.
 *
 * <p>A training step's micro-batch (the trainer's {@code per_device_train_batch_size} pairs) is split into contiguous
 * shards, one Spark task each. The adapter weights are broadcast ({@link JavaSparkContext#broadcast}, destroyed after
 * the step); each task borrows its JVM's copy of the policy ({@link ExecutorModels}: the frozen base read from the
 * model folder, which every executor must be able to read at the same path, with the same LoRA adapters), sets the
 * broadcast weights, and runs the local {@link DpoTask}'s forward and backward on its shard with the reference of a
 * LoRA policy without {@code ref_model}: the same model with its adapters disabled. A shard of n_s of the batch's n
 * pairs returns its loss and gradient times n_s / n, and its metrics times the number of pairs or completion tokens
 * each averages over ({@link DpoTask#metricWeights}); Spark's {@code treeAggregate} sums them, so that the driver holds
 * the loss, metrics and gradient of the whole micro-batch as one JVM computes them (equal in exact arithmetic, to
 * float rounding in practice). The loss goes back to the trainer as {@link Ops#externalLoss}, whose backward adds the
 * summed gradient into the adapters; the trainer then clips, steps the optimizer, logs, evaluates and checkpoints as
 * for a local run, and a run resumes from its checkpoints as a local one does.
 *
 * <p>Everything else is the local task's: the trainable parameters, the files of a checkpoint, the random state and
 * the evaluation loss (computed on the driver). What one JVM cannot share out exactly is refused with an
 * {@link InputException}: a policy without LoRA, another reference (a {@code ref_model}, precomputed reference
 * log-probabilities), a loss type that is not a mean over pairs ({@code sft}, {@code aot}, {@code aot_unpaired}),
 * LoRA dropout (the shards would draw other masks than one JVM draws) and NEFTune noise.
 */
public final class DataParallelDpoTask implements TrainingTask<PreferencePair> {
    private final DpoTask local;
    private final LoraModel policy;
    private final JavaSparkContext spark;
    private final ExecutorPolicy executorPolicy;
    private final int numShards;

    /**
     * Trains {@code local}'s LoRA policy with each micro-batch split into at most {@code numShards} shards.
     *
     * @param baseModel   the folder the policy's base was loaded from, which the executors load it from
     * @param baseStorage the dtype the base's weights are stored in ({@code --torch-dtype})
     * @throws InputException for what cannot be trained data-parallel (see the class description), or a
     *                        {@code numShards} below 1
     */
    public DataParallelDpoTask(DpoTask local, Path baseModel, Dtype baseStorage, JavaSparkContext spark,
                               int numShards) {
        if (!(local.policy() instanceof LoraModel lora)) {
            throw new InputException("data-parallel DPO trains LoRA adapters: add --use-peft");
        }
        if (!(local.reference() instanceof AdapterDisabledReference)) {
            throw new InputException("data-parallel DPO takes the LoRA policy with its adapters disabled as the"
                    + " reference: --ref-model and precompute_ref_log_probs are not supported");
        }
        List<DpoLossType> batchLevel = local.lossConfig().lossType().stream().filter(t -> !t.meanOverPairs())
                .toList();
        if (!batchLevel.isEmpty()) {
            throw new InputException("loss_type " + batchLevel + " is not a mean over pairs, so the shards' losses do"
                    + " not add up to the batch's: data-parallel DPO cannot train it");
        }
        if (lora.loraConfig().loraDropout() > 0 && !lora.dropoutDisabled()) {
            throw new InputException("lora_dropout " + lora.loraConfig().loraDropout() + " with disable_dropout"
                    + " false: the shards would draw other dropout masks than one JVM; set --lora-dropout 0 or"
                    + " --disable-dropout true");
        }
        if (numShards < 1) {
            throw new InputException("--num-shards must be at least 1, got " + numShards);
        }
        this.local = local;
        this.policy = lora;
        this.spark = spark;
        this.numShards = numShards;
        this.executorPolicy = new ExecutorPolicy(baseModel.toAbsolutePath().normalize().toString(), baseStorage,
                lora.loraConfig().toJson(lora.config().isGpt2(), PeftTaskType.CAUSAL_LM).toString(),
                local.lossConfig(), local.padId());
    }

    @Override
    public Map<String, Var> trainableParameters() {
        return local.trainableParameters();
    }

    /**
     * On a recording tape, the micro-batch's loss computed by the executors, its summed gradient joined to
     * {@code tape} ({@link Ops#externalLoss}); on an inference tape (a closure optimizer's evaluations), the local
     * task's loss.
     *
     * @throws InputException for NEFTune noise, or bad input an executor met (e.g. a model folder it cannot read)
     */
    @Override
    public TaskOutput loss(Tape tape, List<PreferencePair> batch) {
        if (!tape.isRecording()) {
            return local.loss(tape, batch);
        }
        if (tape.neftuneNoiseAlpha() > 0) {
            throw new InputException("neftune_noise_alpha: data-parallel DPO cannot draw the noise one JVM draws");
        }
        List<Shard> shards = Shard.split(batch, Math.min(numShards, batch.size()));
        LinkedHashMap<String, float[]> weights = new LinkedHashMap<>();
        policy.parameters().forEach((name, v) -> weights.put(name, v.value().data().clone()));
        Broadcast<LinkedHashMap<String, float[]>> broadcast = spark.broadcast(weights);
        try {
            StepSum sum = spark.parallelize(shards, shards.size())
                    .map(new ShardStep(executorPolicy, broadcast, tape.gradientCheckpointing()))
                    .treeAggregate(new StepSum(), StepSum::add, StepSum::add);
            return sum.output(tape, local.trainableParameters());
        } catch (Exception e) {
            if (e.getCause() instanceof InputException badInput) {
                throw badInput;
            }
            throw e;
        } finally {
            broadcast.destroy();
        }
    }

    @Override
    public TaskOutput evaluationLoss(List<PreferencePair> batch) {
        return local.evaluationLoss(batch);
    }

    @Override
    public void onStepEnd(long globalStep) {
        local.onStepEnd(globalStep);
    }

    @Override
    public void saveModel(Path directory) {
        local.saveModel(directory);
    }

    @Override
    public void saveFinalModel(Path directory) {
        local.saveFinalModel(directory);
    }

    @Override
    public void loadModel(Path directory) {
        local.loadModel(directory);
    }

    @Override
    public JsonNode rngState() {
        return local.rngState();
    }

    @Override
    public void restoreRngState(JsonNode state) {
        local.restoreRngState(state);
    }

    /**
     * How an executor builds the policy and its DPO task: the base model folder and storage dtype, the LoRA
     * configuration as PEFT's {@code adapter_config.json}, the loss options and the padding id.
     */
    private record ExecutorPolicy(String baseModel, Dtype baseStorage, String adapterConfig, DpoLossConfig loss,
                                  int padId) implements Serializable {

        /** What tells two executor policies apart in {@link ExecutorModels}. */
        String key() {
            return baseModel + "\n" + baseStorage + "\n" + adapterConfig;
        }

        /** The frozen base with new LoRA adapters (their weights come from the driver), dropout off. */
        LoraModel load() {
            JsonNode config;
            try {
                config = StrictJson.MAPPER.readTree(adapterConfig);
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
            LoraModel lora = LoraModel.create(HfModels.loadFrozen(Path.of(baseModel), baseStorage, null),
                    LoraConfig.fromJson(config, PeftTaskType.CAUSAL_LM), 0);
            lora.disableDropout();
            return lora;
        }

        /** The local DPO task on {@code lora}, its reference the same model with the adapters disabled. */
        DpoTask task(LoraModel lora) {
            return new DpoTask(lora, new AdapterDisabledReference(lora), loss, padId, null,
                    new HfModelWriter(null, null));
        }
    }

    /** A contiguous part of a micro-batch of {@code batchSize} pairs. */
    private record Shard(List<PreferencePair> pairs, int batchSize) implements Serializable {
        /** {@code batch} in {@code count} contiguous shards whose sizes differ by at most one. */
        static List<Shard> split(List<PreferencePair> batch, int count) {
            List<Shard> shards = new ArrayList<>(count);
            int n = batch.size();
            for (int s = 0; s < count; s++) {
                shards.add(new Shard(List.copyOf(batch.subList(s * n / count, (s + 1) * n / count)), n));
            }
            return shards;
        }
    }

    /**
     * The Spark task of one shard: on the executor's policy, with the broadcast weights, the shard's loss and
     * gradient times its share of the batch, and its metrics times their weights.
     */
    private record ShardStep(ExecutorPolicy executorPolicy, Broadcast<LinkedHashMap<String, float[]>> weights,
                             boolean gradientCheckpointing) implements Function<Shard, StepSum> {
        @Override
        public StepSum call(Shard shard) {
            return ExecutorModels.with(executorPolicy.key(), LoraModel.class, executorPolicy::load,
                    lora -> step(lora, shard));
        }

        private StepSum step(LoraModel lora, Shard shard) {
            Map<String, float[]> values = weights.value();
            Map<String, Var> parameters = lora.parameters();
            if (!parameters.keySet().equals(values.keySet())) {
                throw new IllegalStateException("the executor's adapters " + parameters.keySet()
                        + " differ from the driver's " + values.keySet());
            }
            parameters.forEach((name, v) -> {
                float[] value = values.get(name);
                System.arraycopy(value, 0, v.value().data(), 0, value.length);
                v.zeroGrad();
            });
            DpoTask task = executorPolicy.task(lora);
            List<PreferencePair> pairs = shard.pairs();
            Tape tape = Tape.recording(gradientCheckpointing);
            TaskOutput out = task.loss(tape, pairs);
            tape.backward(out.loss());
            double share = (double) pairs.size() / shard.batchSize();
            StepSum sum = new StepSum();
            sum.loss = out.lossValue() * share;
            sum.tokens = out.tokens();
            Map<String, Double> metricWeights = task.metricWeights(pairs);
            out.metrics().forEach((name, value) -> {
                double weight = metricWeights.get(name);
                sum.metrics.put(name, new double[] {value * weight, weight});
            });
            sum.gradients = new LinkedHashMap<>();
            parameters.forEach((name, v) -> {
                float[] grad = v.grad().data();
                double[] g = new double[grad.length];
                for (int i = 0; i < g.length; i++) {
                    g[i] = grad[i] * share;
                }
                sum.gradients.put(name, g);
                v.zeroGrad();
            });
            return sum;
        }
    }

    /**
     * The sum over shards: loss times share, tokens, each metric's weighted sum and weight, and each adapter
     * gradient times share (null before the first shard). Spark merges the tasks' results in the order they finish:
     * with two shards the sum does not depend on it (addition commutes); with more it can change the last bit of a
     * sum, which is why the gradients are summed in double precision and rounded to float32 once, at the end (a
     * coordinate's float32 sum then changes with the order only when its double sum lies within rounding of a
     * float32 rounding boundary).
     */
    private static final class StepSum implements Serializable {
        private double loss;
        private long tokens;
        private final LinkedHashMap<String, double[]> metrics = new LinkedHashMap<>();
        private LinkedHashMap<String, double[]> gradients;

        /** Adds {@code other} into this sum and returns it. */
        StepSum add(StepSum other) {
            loss += other.loss;
            tokens += other.tokens;
            other.metrics.forEach((name, m) -> {
                double[] sum = metrics.computeIfAbsent(name, k -> new double[2]);
                sum[0] += m[0];
                sum[1] += m[1];
            });
            if (other.gradients != null) {
                if (gradients == null) {
                    gradients = new LinkedHashMap<>();
                    other.gradients.forEach((name, g) -> gradients.put(name, g.clone()));
                } else {
                    other.gradients.forEach((name, g) -> {
                        double[] sum = gradients.get(name);
                        for (int i = 0; i < g.length; i++) {
                            sum[i] += g[i];
                        }
                    });
                }
            }
            return this;
        }

        /** The batch's output: its loss on {@code tape} with the summed gradients of {@code parameters}. */
        TaskOutput output(Tape tape, Map<String, Var> parameters) {
            Map<String, Double> means = new LinkedHashMap<>();
            metrics.forEach((name, m) -> means.put(name, m[0] / m[1]));
            List<float[]> summed = new ArrayList<>();
            for (String name : parameters.keySet()) {
                double[] g = gradients.get(name);
                float[] f = new float[g.length];
                for (int i = 0; i < g.length; i++) {
                    f[i] = (float) g[i];
                }
                summed.add(f);
            }
            Var value = Ops.externalLoss(tape, loss, List.copyOf(parameters.values()), summed);
            return new TaskOutput(value, means, tokens);
        }
    }
}
