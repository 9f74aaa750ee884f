package org.align4j.scaling;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.TokenStatistics;
import org.align4j.autograd.Var;
import org.align4j.model.Models;
import org.align4j.model.io.CheckpointException;
import org.align4j.model.io.Dtype;
import org.align4j.model.io.SafeTensors;
import org.align4j.model.io.SafeTensorsWriter;
import org.align4j.tensor.Tensor;
import org.align4j.train.TaskOutput;
import org.align4j.train.TrainingTask;

/**
 * The one-hidden-layer MLP Michaud et al. (2023) train on {@link SparseParity}, built from the engine's ops:
 * h = GELU(x W₁ᵀ + b₁), then the two-class log-softmax of h W₂ᵀ through the fused {@link Ops#tokenLogProbs} with a
 * vocabulary of 2 (labels 0 and 1), and the mean cross-entropy. Initialised as PyTorch's {@code nn.Linear} scale
 * (weights ~ N(0, 1/fan_in)), biases 0. As a {@link TrainingTask} it trains with the shared {@code Trainer}; it logs
 * {@code accuracy}.
 */
public final class ParityMlp implements TrainingTask<SparseParity.Sample> {
    private static final String FC1_WEIGHT = "fc1.weight";
    private static final String FC1_BIAS = "fc1.bias";
    private static final String FC2_WEIGHT = "fc2.weight";

    private final SparseParity data;
    private final Map<String, Var> parameters = new LinkedHashMap<>();

    /** An MLP of hidden width {@code width} for {@code data}, initialised from {@code seed}. */
    public ParityMlp(SparseParity data, int width, long seed) {
        if (width < 1) {
            throw new IllegalArgumentException("MLP width must be positive, got " + width);
        }
        this.data = data;
        SplittableRandom rng = new SplittableRandom(seed);
        parameters.put(FC1_WEIGHT, new Var(gaussian(rng, 1 / Math.sqrt(data.inputWidth()), width, data.inputWidth()),
                true));
        parameters.put(FC1_BIAS, new Var(Tensor.zeros(width), true));
        parameters.put(FC2_WEIGHT, new Var(gaussian(rng, 1 / Math.sqrt(width), 2, width), true));
    }

    private static Tensor gaussian(SplittableRandom rng, double std, int rows, int columns) {
        Tensor t = Tensor.zeros(rows, columns);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (Models.gaussian(rng) * std);
        }
        return t;
    }

    /** Number of parameters. */
    public long parameterCount() {
        return parameters.values().stream().mapToLong(v -> v.value().size()).sum();
    }

    @Override
    public Map<String, Var> trainableParameters() {
        return parameters;
    }

    /** Per-example log-probabilities of the labels, with argmax statistics. */
    private Var labelLogProbs(Tape tape, List<SparseParity.Sample> batch, TokenStatistics statistics) {
        Var x = Var.constant(Tensor.of(data.features(batch), batch.size(), data.inputWidth()));
        Var hidden = Ops.gelu(tape, Ops.linear(tape, x, parameters.get(FC1_WEIGHT), parameters.get(FC1_BIAS)));
        int[] labels = batch.stream().mapToInt(SparseParity.Sample::label).toArray();
        return Ops.tokenLogProbs(tape, hidden, parameters.get(FC2_WEIGHT), labels, statistics);
    }

    @Override
    public TaskOutput loss(Tape tape, List<SparseParity.Sample> batch) {
        TokenStatistics stats = TokenStatistics.forRows(batch.size());
        Var logp = labelLogProbs(tape, batch, stats);
        float[] weights = new float[batch.size()];
        Arrays.fill(weights, -1f / batch.size());
        int[] labels = batch.stream().mapToInt(SparseParity.Sample::label).toArray();
        return new TaskOutput(Ops.weightedSum(tape, logp, weights),
                Map.of("accuracy", stats.correct(labels) / (double) batch.size()), 0);
    }

    /** The mean cross-entropy (nats) of each task over {@code samples} (NaN for a task without samples). */
    public double[] lossPerTask(List<SparseParity.Sample> samples) {
        double[] sum = new double[data.tasks()];
        int[] count = new int[data.tasks()];
        float[] logp = labelLogProbs(Tape.inference(), samples, null).value().data();
        for (int i = 0; i < samples.size(); i++) {
            sum[samples.get(i).task()] -= logp[i];
            count[samples.get(i).task()]++;
        }
        for (int t = 0; t < sum.length; t++) {
            sum[t] = count[t] == 0 ? Double.NaN : sum[t] / count[t];
        }
        return sum;
    }

    @Override
    public void saveModel(Path directory) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        parameters.forEach((name, v) -> tensors.put(name, v.value()));
        SafeTensorsWriter.write(directory.resolve("model.safetensors"), SafeTensorsWriter.entries(tensors, Dtype.F32));
    }

    @Override
    public void loadModel(Path directory) {
        Path file = directory.resolve("model.safetensors");
        try (SafeTensors st = SafeTensors.open(file)) {
            for (Map.Entry<String, Var> e : parameters.entrySet()) {
                Tensor saved = st.read(e.getKey());
                if (!saved.sameShape(e.getValue().value())) {
                    throw new CheckpointException(file + ": tensor '" + e.getKey() + "' has the wrong shape");
                }
                System.arraycopy(saved.data(), 0, e.getValue().value().data(), 0, saved.size());
            }
        }
    }
}
