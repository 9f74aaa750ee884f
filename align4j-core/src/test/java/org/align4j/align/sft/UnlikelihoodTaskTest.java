package org.align4j.align.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.align4j.align.TinyModels;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.data.SequenceBatch;
import org.align4j.data.PreferencePair;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.CausalLM;
import org.align4j.train.TaskOutput;
import org.align4j.train.Trainer;
import org.align4j.train.TrainingArguments;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The unlikelihood baseline: its value from per-token probabilities, and its gradients by finite differences. */
class UnlikelihoodTaskTest {
    private static final int PAD = 0;

    /** Prompt + completion pairs of random ids; only the completion is in the loss. */
    static List<PreferencePair> pairs(long seed, int n) {
        Random rng = new Random(seed);
        List<PreferencePair> pairs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] prompt = ids(rng, 2 + rng.nextInt(3));
            pairs.add(new PreferencePair("pair " + i, sequence(prompt, ids(rng, 2 + rng.nextInt(4))),
                    sequence(prompt, ids(rng, 1 + rng.nextInt(4))), 0));
        }
        return pairs;
    }

    private static int[] ids(Random rng, int length) {
        int[] ids = new int[length];
        for (int t = 0; t < length; t++) {
            ids[t] = 1 + rng.nextInt(TinyModels.VOCAB - 1);
        }
        return ids;
    }

    private static TokenizedSequence sequence(int[] prompt, int[] completion) {
        int[] all = new int[prompt.length + completion.length];
        boolean[] mask = new boolean[all.length];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(completion, 0, all, prompt.length, completion.length);
        java.util.Arrays.fill(mask, prompt.length, all.length, true);
        return new TokenizedSequence(all, mask, "test");
    }

    @Test
    void lossIsChosenNllPlusAlphaTimesRejectedUnlikelihood() {
        CausalLM model = TinyModels.random("llama", 2);
        List<PreferencePair> batch = pairs(3, 3);
        double alpha = 0.7;
        TaskOutput out = new UnlikelihoodTask(model, PAD, alpha, null, null).loss(Tape.inference(), batch);

        double nll = 0;
        int chosenTokens = 0;
        double unlikelihood = 0;
        int rejectedTokens = 0;
        for (PreferencePair pair : batch) {
            double[] chosen = tokenLogProbs(model, pair.chosen());
            for (double lp : chosen) {
                nll -= lp;
                chosenTokens++;
            }
            for (double lp : tokenLogProbs(model, pair.rejected())) {
                unlikelihood -= Math.log(1 - Math.exp(lp));
                rejectedTokens++;
            }
        }
        double expected = nll / chosenTokens + alpha * unlikelihood / rejectedTokens;
        assertEquals(expected, out.lossValue(), 1e-5);
        assertEquals(nll / chosenTokens, out.metrics().get("nll_chosen"), 1e-5);
        assertEquals(unlikelihood / rejectedTokens, out.metrics().get("unlikelihood_rejected"), 1e-5);
        assertTrue(out.metrics().containsKey("mean_token_accuracy"), "SftTask's metrics on the chosen side");
        int tokens = batch.stream().mapToInt(p -> p.chosen().length() + p.rejected().length()).sum();
        assertEquals(tokens, out.tokens());

        TaskOutput sftOnly = new UnlikelihoodTask(model, PAD, 0, null, null).loss(Tape.inference(), batch);
        assertEquals(nll / chosenTokens, sftOnly.lossValue(), 1e-5, "alpha 0 is SFT on the chosen responses");
    }

    /** log p of each completion token of one sequence, run alone. */
    private static double[] tokenLogProbs(CausalLM model, TokenizedSequence s) {
        SequenceBatch b = SequenceBatch.of(List.of(s), PAD);
        Var logp = Ops.tokenLogProbs(Tape.inference(), model.hiddenStates(Tape.inference(), b.input()),
                model.lmHead(), b.targets());
        double[] out = new double[b.targetCount()];
        int j = 0;
        for (int i = 0; i < b.targets().length; i++) {
            if (b.targets()[i] >= 0) {
                out[j++] = logp.value().get(i);
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void parameterGradientsMatchFiniteDifferences(String modelType) {
        CausalLM model = TinyModels.random(modelType, 8);
        UnlikelihoodTask task = new UnlikelihoodTask(model, PAD, 20, null, null);
        List<PreferencePair> batch = pairs(9, 3);
        List<String> names = modelType.equals("gpt2")
                ? List.of("transformer.wte.weight", "transformer.h.0.attn.c_attn.weight", "transformer.ln_f.bias")
                : List.of("lm_head.weight", "model.layers.0.mlp.gate_proj.weight", "model.embed_tokens.weight");
        TinyModels.checkParameterGradients(modelType + " unlikelihood loss", model.parameters(), names,
                tape -> task.loss(tape, batch).loss());
    }

    @Test
    void trainingMakesChosenLikelyAndRejectedUnlikely(@TempDir Path tmp) throws IOException {
        CausalLM model = TinyModels.random("llama", 12);
        UnlikelihoodTask task = new UnlikelihoodTask(model, PAD, 1.0, null, null);
        List<PreferencePair> data = pairs(13, 4);
        TaskOutput before = task.loss(Tape.inference(), data);
        TrainingArguments args = TrainingArguments.defaults().withOptions(Map.of("output_dir", tmp.toString(),
                "max_steps", 6, "per_device_train_batch_size", 4, "learning_rate", 3e-2, "save_strategy", "no",
                "disable_tqdm", true, "plot_loss", false));
        new Trainer<>(args, task, data, List.of()).train();
        TaskOutput after = task.loss(Tape.inference(), data);
        assertTrue(after.metrics().get("nll_chosen") < before.metrics().get("nll_chosen") - 0.5,
                before.metrics() + " -> " + after.metrics());
        assertTrue(after.metrics().get("rejected_token_prob") < before.metrics().get("rejected_token_prob"),
                before.metrics() + " -> " + after.metrics());
    }

    @Test
    void alphaMustBeNonNegative() {
        assertThrows(IllegalArgumentException.class,
                () -> new UnlikelihoodTask(TinyModels.random("llama", 1), PAD, -1, null, null));
    }
}
