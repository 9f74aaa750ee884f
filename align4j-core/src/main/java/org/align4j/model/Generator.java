package org.align4j.model;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.align4j.InputException;
import org.align4j.tensor.Tensor;

/**
 * Continues prompts with a {@link CausalLM} the way transformers' {@code generate} does, with a {@link KvCache}: the
 * prompts, left-padded to a common length, run through the model at once (prefill), then each step feeds only the
 * tokens just chosen. A row stops after an eos token; the batch stops when every row has stopped or after
 * max_new_tokens steps.
 *
 * <p>Results depend only on the model, the prompts and the config: the kernels are deterministic whatever the thread
 * count, and each row samples from its own random stream, split from the seed in row order, so a row draws the same
 * numbers whatever the other rows do.
 */
public final class Generator {
    /** The id fed at padding positions (masked, so any valid id would do). */
    private static final int PADDING_INPUT_ID = 0;

    private final CausalLM model;

    /** A generator running {@code model}. */
    public Generator(CausalLM model) {
        this.model = model;
    }

    /**
     * Continues each row of {@code prompts} (token ids, lengths may differ) as {@code config} says: with
     * {@code num_return_sequences} n, rows n·i to n·i + n - 1 of the result continue prompt i. Running out of heap is
     * an {@link OutOfHeapError} saying so.
     */
    public Generation generate(int[][] prompts, GenerationConfig config) {
        try {
            return run(prompts, config);
        } catch (OutOfMemoryError e) {
            throw OutOfHeapError.of("generating " + config.maxNewTokens() + " tokens for " + prompts.length
                    + " prompts (the KV cache of every layer and the prompts' forward pass)", e);
        }
    }

    private Generation run(int[][] givenPrompts, GenerationConfig config) {
        int vocab = model.config().vocabSize();
        checkPrompts(givenPrompts, vocab);
        // num_return_sequences: each prompt repeated in place, as transformers' generate expands the batch
        int copies = config.numReturnSequences();
        int[][] prompts = new int[givenPrompts.length * copies][];
        for (int i = 0; i < prompts.length; i++) {
            prompts[i] = givenPrompts[i / copies];
        }
        ModelInput prompt = ModelInput.leftPadded(prompts, PADDING_INPUT_ID);
        int batch = prompt.batch();
        int maxNew = config.maxNewTokens();
        KvCache cache = new KvCache(model.config(), batch, prompt.seq() + maxNew - 1);
        TokenSampler sampler = new TokenSampler(config);
        SplittableRandom seeds = new SplittableRandom(config.seed());
        SplittableRandom[] random = new SplittableRandom[batch];
        int[] nextPosition = new int[batch];
        for (int b = 0; b < batch; b++) {
            random[b] = seeds.split();
            nextPosition[b] = prompts[b].length;
        }
        int[][] tokens = new int[batch][maxNew];
        float[][] logProbs = new float[batch][maxNew];
        int[] lengths = new int[batch];
        boolean[] stopped = new boolean[batch];
        Tensor logits = model.nextTokenLogits(prompt, cache);
        boolean penalised = config.repetitionPenalty() != 1.0;
        int steps = 0;
        while (true) {
            for (int b = 0; b < batch; b++) {
                if (stopped[b]) {
                    tokens[b][steps] = config.fillTokenId();
                    continue;
                }
                int token = penalised ? sampler.next(logits.data(), b * vocab, vocab, history(prompts[b], tokens[b],
                        steps), prompts[b].length + steps, random[b])
                        : sampler.next(logits.data(), b * vocab, vocab, random[b]);
                tokens[b][steps] = token;
                logProbs[b][steps] = (float) TokenSampler.logProb(logits.data(), b * vocab, vocab, token);
                lengths[b]++;
                stopped[b] = config.eosTokenIds().contains(token);
            }
            steps++;
            if (steps == maxNew || allTrue(stopped)) {
                break;
            }
            logits = model.nextTokenLogits(nextInput(tokens, steps - 1, stopped, nextPosition), cache);
        }
        for (int b = 0; b < batch; b++) {
            tokens[b] = Arrays.copyOf(tokens[b], steps);
            logProbs[b] = Arrays.copyOf(logProbs[b], steps);
        }
        return new Generation(tokens, logProbs, lengths);
    }

    /**
     * The one-token step after {@code step}: each running row feeds its new token at its next position; a stopped
     * row feeds a masked placeholder, which no later query sees.
     */
    private static ModelInput nextInput(int[][] tokens, int step, boolean[] stopped, int[] nextPosition) {
        int batch = tokens.length;
        int[] ids = new int[batch];
        int[] mask = new int[batch];
        int[] positions = new int[batch];
        for (int b = 0; b < batch; b++) {
            ids[b] = stopped[b] ? PADDING_INPUT_ID : tokens[b][step];
            mask[b] = stopped[b] ? 0 : 1;
            positions[b] = nextPosition[b]++;
        }
        return new ModelInput(batch, 1, ids, mask, positions);
    }

    /** The row so far: its prompt, then its first {@code steps} generated tokens. */
    private static int[] history(int[] prompt, int[] generated, int steps) {
        int[] all = Arrays.copyOf(prompt, prompt.length + steps);
        System.arraycopy(generated, 0, all, prompt.length, steps);
        return all;
    }

    private static void checkPrompts(int[][] prompts, int vocab) {
        if (prompts.length == 0) {
            throw new InputException("no prompts");
        }
        for (int b = 0; b < prompts.length; b++) {
            if (prompts[b] == null || prompts[b].length == 0) {
                throw new InputException("prompt " + b + " is empty");
            }
            for (int id : prompts[b]) {
                if (id < 0 || id >= vocab) {
                    throw new InputException("prompt " + b + " has token id " + id
                            + " outside the vocabulary [0, " + vocab + ")");
                }
            }
        }
    }

    private static boolean allTrue(boolean[] flags) {
        for (boolean f : flags) {
            if (!f) {
                return false;
            }
        }
        return true;
    }
}
