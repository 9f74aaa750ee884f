package org.align4j.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.Fixture;
import org.align4j.model.HfModels;
import org.align4j.model.ModelInput;
import org.align4j.model.io.Dtype;
import org.align4j.tensor.Tensor;

/**
 * A minimal SFT-like task for the trainer tests: examples are equal-length token-id rows, the loss is the mean
 * next-token cross-entropy, and it reports TRL's mean_token_accuracy and the token count.
 */
class TokenLanguageModelTask implements TrainingTask<int[]> {
    final CausalLM model;

    TokenLanguageModelTask(CausalLM model) {
        this.model = model;
    }

    /** The task on a fresh copy of the llama-tiny fixture model. */
    static TokenLanguageModelTask llamaTiny() {
        return new TokenLanguageModelTask(HfModels.load(Fixture.load("llama-tiny").dir()));
    }

    /** {@code count} random rows of {@code length} ids below {@code vocab}, deterministic in the seed. */
    static List<int[]> randomRows(int count, int length, int vocab, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<int[]> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            rows.add(rng.ints(length, 0, vocab).toArray());
        }
        return rows;
    }

    @Override
    public Map<String, Var> trainableParameters() {
        return model.parameters();
    }

    @Override
    public TaskOutput loss(Tape tape, List<int[]> batch) {
        ModelInput input = ModelInput.of(batch.toArray(int[][]::new), null);
        int[] targets = input.nextTokenTargets();
        Var hidden = model.hiddenStates(tape, input);
        Var logp = Ops.tokenLogProbs(tape, hidden, model.lmHead(), targets);
        int count = 0;
        for (int t : targets) {
            count += t >= 0 ? 1 : 0;
        }
        float[] weights = new float[targets.length];
        for (int i = 0; i < targets.length; i++) {
            weights[i] = targets[i] >= 0 ? -1f / count : 0f;
        }
        Var loss = Ops.weightedSum(tape, logp, weights);
        return new TaskOutput(loss, Map.of("mean_token_accuracy", accuracy(hidden, targets, count)),
                input.inputIds().length);
    }

    private double accuracy(Var hidden, int[] targets, int count) {
        Tensor logits = Ops.logits(hidden, model.lmHead());
        int vocab = model.config().vocabSize();
        int correct = 0;
        for (int r = 0; r < targets.length; r++) {
            if (targets[r] < 0) {
                continue;
            }
            int best = 0;
            for (int v = 1; v < vocab; v++) {
                if (logits.get(r * vocab + v) > logits.get(r * vocab + best)) {
                    best = v;
                }
            }
            correct += best == targets[r] ? 1 : 0;
        }
        return (double) correct / count;
    }

    @Override
    public void saveModel(Path directory) {
        try {
            HfModels.write(model, directory, Dtype.F32, null, 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void loadModel(Path directory) {
        HfModels.loadWeights(model, directory);
    }
}
