package org.align4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.align4j.align.sft.LanguageModelLoss;
import org.align4j.align.dpo.DpoConfig;
import org.align4j.align.dpo.DpoTrainer;
import org.align4j.align.sft.SftTrainer;
import org.align4j.experiments.SentimentPairs;
import org.align4j.align.sft.EmbeddedSftRecipe;
import org.align4j.align.sft.SftConfig;
import org.align4j.data.Afinn;
import org.align4j.model.HfModelWriter;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.data.BrownCorpus;
import org.align4j.data.Example;
import org.align4j.model.CausalLM;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.GenerationConfig;
import org.align4j.model.Generator;
import org.align4j.model.ModelConfig;
import org.align4j.model.ModelInput;
import org.align4j.model.Models;
import org.align4j.tensor.Backend;
import org.align4j.tensor.Kernels;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.TrainOutput;
import org.align4j.train.Trainer;
import org.align4j.data.TokenizedSequence;
import org.align4j.train.TrainingArguments;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j demo}: the embedded default, with no arguments and no download. Checks the vectorised kernels
 * against their scalar twins, fine-tunes the embedded model (bundled BPE tokenizer, small Llama) on the bundled
 * Brown fiction with the SFT trainer, showing samples before and after, then aligns it with DPO on pairs of its own
 * samples ranked by AFINN sentiment; leaves Hugging Face checkpoints, metrics and plots in the output folder.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Self-check, then SFT of the embedded model on the bundled corpus (no download).")
final class DemoCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int EOS = EmbeddedModel.EOS;
    private static final String[] PROMPTS = {"She looked at him and", "The house was", "\"I don't know,\" he said"};

    @Option(names = "--output", defaultValue = "runs/demo", description = "output folder (default ${DEFAULT-VALUE})")
    Path output;
    @Option(names = "--max-steps", defaultValue = "300", description = "SFT steps (default ${DEFAULT-VALUE})")
    int maxSteps;
    @Option(names = "--seq", defaultValue = "128", description = "tokens per training row (default ${DEFAULT-VALUE})")
    int seq;
    @Option(names = "--dpo-steps", defaultValue = "60", description = "DPO steps (default ${DEFAULT-VALUE})")
    int dpoSteps;
    @Option(names = "--dpo-prompts", defaultValue = "128",
            description = "prompts sampled for the preference pairs (default ${DEFAULT-VALUE})")
    int dpoPrompts;
    @Option(names = "--seed", defaultValue = "42", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws IOException {
        selfCheck("llama", "{\"model_type\":\"llama\",\"vocab_size\":300,\"hidden_size\":64,"
                + "\"intermediate_size\":96,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
                + "\"max_position_embeddings\":64,\"initializer_range\":0.1}");
        selfCheck("gpt2", "{\"model_type\":\"gpt2\",\"vocab_size\":300,\"n_positions\":64,\"n_embd\":64,"
                + "\"n_layer\":2,\"n_head\":4,\"initializer_range\":0.1}");
        Path modelDir = output.resolve("sft");
        Path tokenizerDir = EmbeddedModel.writeTokenizer(output.resolve("tokenizer"));
        Tokenizer tokenizer = Tokenizer.load(tokenizerDir);
        CausalLM model = EmbeddedModel.randomInit(seed);
        long params = model.parameters().values().stream().mapToLong(v -> v.value().size()).sum();
        BrownCorpus.Split split = BrownCorpus.languageModelingSplit(0);
        List<Example> train = split.train();
        List<Example> eval = split.heldOut();
        System.out.printf("embedded model: %.2fM parameters (Llama, 4 layers, width %d), tokenizer %d tokens;"
                        + " %d training and %d held-out Brown fiction texts%n", params / 1e6, EmbeddedModel.HIDDEN,
                tokenizer.vocabSize(), train.size(), eval.size());
        printSamples("before training", model, tokenizer);
        TrainingArguments args = EmbeddedSftRecipe.arguments(modelDir, maxSteps, seed).withOptions(Map.of(
                "logging_steps", 10, "eval_strategy", "steps", "eval_steps", Math.max(1, maxSteps / 3),
                "save_strategy", "steps", "save_steps", Math.max(1, maxSteps / 3), "save_total_limit", 1));
        Trainer<TokenizedSequence> trainer = SftTrainer.create(model, EmbeddedModel.generationConfig(), tokenizer,
                tokenizerDir, SftConfig.defaults().withPacking(seq), args, train, eval);
        double heldOutBefore = trainer.evaluate().get("eval_loss");
        TrainOutput out = trainer.train();
        double heldOutAfter = trainer.evaluate().get("eval_loss");
        printSamples("after " + out.globalStep() + " SFT steps", model, tokenizer);
        System.out.printf("held-out loss %.3f before, %.3f after (training loss %.3f)%n", heldOutBefore,
                heldOutAfter, out.trainingLoss());
        System.out.println("wrote " + modelDir + ": config.json, model.safetensors, tokenizer, checkpoints,"
                + " metrics.jsonl, trainer_state.json and the loss plot");
        preferenceStage(model, tokenizer, tokenizerDir, train);
        return 0;
    }

    /**
     * DPO on preference pairs the SFT model makes itself ({@link SentimentPairs}): four sampled continuations of
     * each prompt (an opening of a training paragraph), the highest AFINN sentiment chosen, the lowest rejected — the
     * controlled sentiment task of the DPO paper at toy scale. Shows reward accuracies and margins rising, and the
     * sentiment of fresh samples before and after.
     */
    private void preferenceStage(CausalLM model, Tokenizer tokenizer, Path tokenizerDir, List<Example> train)
            throws IOException {
        Afinn afinn = Afinn.bundled();
        List<String> prompts = SentimentPairs.prompts(train, dpoPrompts + 32);
        List<String> heldOutPrompts = prompts.subList(dpoPrompts, prompts.size());
        List<String> pairPrompts = prompts.subList(0, Math.min(dpoPrompts, prompts.size()));
        double before = meanSentiment(model, tokenizer, heldOutPrompts, afinn, seed + 1);
        List<Example> pairs = SentimentPairs.build(model, tokenizer, pairPrompts, afinn, EOS, seed + 2);
        System.out.printf("DPO: %d preference pairs from %d prompts (four samples each: chosen = highest AFINN"
                + " sentiment, rejected = lowest, ties skipped)%n", pairs.size(), pairPrompts.size());
        if (pairs.isEmpty()) {
            System.out.println("DPO skipped: every prompt's samples tied in sentiment (train longer with --max-steps)");
            return;
        }
        Path dpoDir = output.resolve("dpo");
        DpoConfig config = DpoConfig.defaults().withOptions(Map.ofEntries(Map.entry("output_dir", dpoDir.toString()),
                Map.entry("learning_rate", 5e-4), Map.entry("beta", 0.1), Map.entry("max_steps", dpoSteps),
                Map.entry("per_device_train_batch_size", 8), Map.entry("logging_steps", dpoSteps >= 20 ? 5 : 1),
                Map.entry("save_strategy", "no"), Map.entry("max_length", 128), Map.entry("seed", seed)));
        DpoTrainer.Result result = new DpoTrainer(model, null, config, pairs, List.of(), tokenizer,
                new HfModelWriter(EmbeddedModel.generationConfig(), tokenizerDir)).train();
        List<Map<String, Object>> logs = result.state().logHistory().stream()
                .filter(row -> row.containsKey("rewards/margins")).toList();
        Map<String, Object> first = logs.getFirst();
        Map<String, Object> last = logs.getLast();
        System.out.printf("DPO rewards/accuracies %.2f -> %.2f, rewards/margins %.3f -> %.3f over %d steps%n",
                number(first, "rewards/accuracies"), number(last, "rewards/accuracies"),
                number(first, "rewards/margins"), number(last, "rewards/margins"), result.output().globalStep());
        double after = meanSentiment(model, tokenizer, heldOutPrompts, afinn, seed + 1);
        System.out.printf("mean AFINN reward of samples on %d held-out prompts: %.3f after SFT, %.3f after DPO%n",
                heldOutPrompts.size(), before, after);
        System.out.println("wrote " + dpoDir + ": the DPO model, metrics.jsonl and the loss, margin and accuracy"
                + " plots");
    }

    private static double number(Map<String, Object> row, String key) {
        return ((Number) row.get(key)).doubleValue();
    }

    private double meanSentiment(CausalLM model, Tokenizer tokenizer, List<String> prompts, Afinn afinn, long s) {
        double sum = 0;
        List<String[]> samples = SentimentPairs.sample(model, tokenizer, prompts, 4, EOS, s);
        for (String[] row : samples) {
            for (String text : row) {
                sum += afinn.reward(text);
            }
        }
        return sum / (4.0 * prompts.size());
    }


    private void printSamples(String when, CausalLM model, Tokenizer tokenizer) {
        System.out.println("samples " + when + ":");
        int[][] prompts = new int[PROMPTS.length][];
        for (int i = 0; i < PROMPTS.length; i++) {
            prompts[i] = tokenizer.encode(PROMPTS[i], false);
        }
        GenerationConfig config = new GenerationConfig(40, true, 0.8, 50, 0.95, List.of(EOS), EOS, seed);
        var generation = new Generator(model).generate(prompts, config);
        for (int i = 0; i < PROMPTS.length; i++) {
            String text = PROMPTS[i] + tokenizer.decode(generation.completion(i), true);
            System.out.println("  > " + text.replace('\n', ' '));
        }
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
        Backend.use(Backend.scalar());
        float lossScalar;
        try {
            lossScalar = lossAndGrad(b, input);
        } finally {
            Backend.use(fast);
        }
        double worst = 0;
        for (Map.Entry<String, Var> e : a.parameters().entrySet()) {
            worst = Math.max(worst, e.getValue().grad().relativeError(b.parameters().get(e.getKey()).grad()));
        }
        boolean ok = Math.abs(lossFast - lossScalar) < 1e-4 && worst < 1e-3;
        System.out.printf("self-check %-5s %s vs cpu-scalar: loss %.6f vs %.6f, worst gradient relative error %.1e: %s%n",
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

}
