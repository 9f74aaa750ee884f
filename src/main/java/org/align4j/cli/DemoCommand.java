package org.align4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.align4j.align.LanguageModelLoss;
import org.align4j.data.BrownCorpus;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModels;
import org.align4j.model.ModelConfig;
import org.align4j.model.ModelInput;
import org.align4j.model.Models;
import org.align4j.model.io.Dtype;
import org.align4j.tensor.Backend;
import org.align4j.tensor.Kernels;
import org.align4j.tensor.Tensor;
import org.align4j.tensor.cpu.ScalarKernels;
import org.align4j.train.AdamW;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j demo}: the embedded default. Checks the vectorised kernels against their scalar twins on random
 * models, then trains a small byte-level Llama-style model on the bundled Brown fiction and saves it in the Hugging
 * Face layout.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Engine self-check and a small training run on the bundled corpus (no download).")
final class DemoCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--output", defaultValue = "runs/demo", description = "output folder (default ${DEFAULT-VALUE})")
    Path output;
    @Option(names = "--steps", defaultValue = "200", description = "training steps (default ${DEFAULT-VALUE})")
    int steps;
    @Option(names = "--seed", defaultValue = "42", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws IOException {
        selfCheck("llama:tiny", "{\"model_type\":\"llama\",\"vocab_size\":300,\"hidden_size\":64,"
                + "\"intermediate_size\":96,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
                + "\"max_position_embeddings\":64,\"initializer_range\":0.1}");
        selfCheck("gpt2:tiny", "{\"model_type\":\"gpt2\",\"vocab_size\":300,\"n_positions\":64,\"n_embd\":64,"
                + "\"n_layer\":2,\"n_head\":4,\"initializer_range\":0.1}");
        train();
        return 0;
    }

    private static ModelConfig config(String json) throws IOException {
        return ModelConfig.fromJson((ObjectNode) JSON.readTree(json), "demo");
    }

    /** Loss and gradients of one random model under the vector kernels and under the scalar twins. */
    private static void selfCheck(String label, String json) throws IOException {
        ModelConfig config = config(json);
        SplittableRandom rng = new SplittableRandom(3);
        int[][] ids = new int[2][24];
        int[][] mask = new int[2][24];
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < 24; t++) {
                ids[b][t] = rng.nextInt(config.vocabSize());
                mask[b][t] = b == 1 && t >= 20 ? 0 : 1;
            }
        }
        ModelInput input = ModelInput.of(ids, mask);
        Kernels fast = Backend.kernels();
        CausalLM a = Models.randomInit(config, 11);
        CausalLM b = Models.randomInit(config, 11);
        float lossFast = lossAndGrad(a, input);
        Backend.use(new ScalarKernels());
        float lossScalar;
        try {
            lossScalar = lossAndGrad(b, input);
        } finally {
            Backend.use(fast);
        }
        double worst = 0;
        for (Map.Entry<String, Var> e : a.parameters().entrySet()) {
            worst = Math.max(worst, relativeError(e.getValue().grad(), b.parameters().get(e.getKey()).grad()));
        }
        boolean ok = Math.abs(lossFast - lossScalar) < 1e-4 && worst < 1e-3;
        System.out.printf("self-check %-10s %s vs cpu-scalar: loss %.6f vs %.6f, worst gradient relative error %.2e: %s%n",
                label, fast.name(), lossFast, lossScalar, worst, ok ? "ok" : "FAILED");
        if (!ok) {
            throw new IllegalStateException("engine self-check failed for " + label);
        }
    }

    private static float lossAndGrad(CausalLM model, ModelInput input) {
        Tape tape = Tape.recording();
        Var loss = LanguageModelLoss.nextToken(tape, model, input);
        tape.backward(loss);
        return loss.value().get(0);
    }

    private static double relativeError(Tensor a, Tensor b) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.size(); i++) {
            double d = a.get(i) - b.get(i);
            diff += d * d;
            norm += (double) b.get(i) * b.get(i);
        }
        return Math.sqrt(diff / Math.max(norm, 1e-30));
    }

    /** Byte-level language modelling on the bundled fiction: 256 byte ids, a ~1M-parameter Llama-style model. */
    private void train() throws IOException {
        byte[] corpus = corpusBytes();
        int heldOut = corpus.length / 20;
        ModelConfig config = config("{\"model_type\":\"llama\",\"vocab_size\":256,\"hidden_size\":128,"
                + "\"intermediate_size\":352,\"num_hidden_layers\":4,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
                + "\"max_position_embeddings\":256,\"initializer_range\":0.02,\"rms_norm_eps\":1e-5,"
                + "\"tie_word_embeddings\":true}");
        CausalLM model = Models.randomInit(config, seed);
        long params = model.parameters().values().stream().mapToLong(v -> v.value().size()).sum();
        int batch = 8;
        int seq = 128;
        SplittableRandom rng = new SplittableRandom(seed);
        AdamW adamw = new AdamW(0.9, 0.95, 1e-8, 0.1);
        Files.createDirectories(output);
        ModelInput evalBatch = window(corpus, corpus.length - heldOut, corpus.length, batch, seq, new SplittableRandom(1));
        float before = evalLoss(model, evalBatch);
        System.out.printf("training a %.2fM-parameter byte-level Llama on %d bytes of Brown fiction, %d steps of %d x %d%n",
                params / 1e6, corpus.length - heldOut, steps, batch, seq);
        long t0 = System.nanoTime();
        try (Writer metrics = Files.newBufferedWriter(output.resolve("metrics.jsonl"), StandardCharsets.UTF_8);
             ProgressBar bar = new ProgressBarBuilder().setTaskName("demo").setInitialMax(steps)
                     .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).build()) {
            for (int step = 1; step <= steps; step++) {
                double lr = 3e-3 * Math.min(1.0, step / 20.0) * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * step / steps)));
                Tape tape = Tape.recording();
                Var loss = LanguageModelLoss.nextToken(tape, model,
                        window(corpus, 0, corpus.length - heldOut, batch, seq, rng));
                tape.backward(loss);
                adamw.step(model.parameters(), lr);
                model.parameters().values().forEach(Var::zeroGrad);
                double elapsed = (System.nanoTime() - t0) / 1e9;
                double tokensPerSecond = (double) step * batch * seq / elapsed;
                ObjectNode row = JSON.createObjectNode().put("step", step).put("loss", loss.value().get(0))
                        .put("lr", lr).put("tokens_per_second", tokensPerSecond);
                metrics.write(JSON.writeValueAsString(row) + "\n");
                bar.step();
                bar.setExtraMessage(String.format(" loss %.3f, %.0f tok/s", loss.value().get(0), tokensPerSecond));
            }
        }
        float after = evalLoss(model, evalBatch);
        Path modelDir = output.resolve("model");
        HfModels.save(model, modelDir, Dtype.F32, null, 0);
        System.out.printf("held-out loss (nats/byte): %.3f before, %.3f after training%n", before, after);
        System.out.println("wrote " + modelDir + " (config.json, model.safetensors) and " + output.resolve("metrics.jsonl"));
    }

    private static float evalLoss(CausalLM model, ModelInput batch) {
        return LanguageModelLoss.nextToken(Tape.inference(), model, batch).value().get(0);
    }

    private static ModelInput window(byte[] corpus, int from, int to, int batch, int seq, SplittableRandom rng) {
        int[][] ids = new int[batch][seq];
        for (int b = 0; b < batch; b++) {
            int start = from + rng.nextInt(to - from - seq);
            for (int t = 0; t < seq; t++) {
                ids[b][t] = corpus[start + t] & 0xff;
            }
        }
        return ModelInput.of(ids, null);
    }

    private static byte[] corpusBytes() {
        return String.join("\n", BrownCorpus.paragraphs()).getBytes(StandardCharsets.UTF_8);
    }
}
