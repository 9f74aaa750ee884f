package org.align4j.data.panels;

import java.util.List;
import java.util.Map;
import org.align4j.model.CausalLM;
import org.align4j.model.Generation;
import org.align4j.model.GenerationConfig;
import org.align4j.model.Generator;
import org.align4j.tokenizer.Tokenizer;

/**
 * A {@link TextCompleter} running a causal language model with {@link Generator}. With {@code chat} and a tokenizer
 * that has a chat template, the prompt is sent as one user message with the generation prompt (for instruction-tuned
 * models); otherwise it is tokenized as plain text, as the {@code sft} command tokenizes prompts. The first attempt
 * uses the generation config as given; each retry samples (temperature 0.8, top_p 0.95 unless the config samples
 * already) with the attempt number added to the seed, so that it can give a different answer.
 */
public final class ModelTextCompleter implements TextCompleter {
    private static final double RETRY_TEMPERATURE = 0.8;
    private static final double RETRY_TOP_P = 0.95;

    private final Generator generator;
    private final Tokenizer tokenizer;
    private final GenerationConfig config;
    private final boolean chat;

    /** Completes with {@code model} and {@code tokenizer} under {@code config}; see the class comment for chat. */
    public ModelTextCompleter(CausalLM model, Tokenizer tokenizer, GenerationConfig config, boolean chat) {
        this.generator = new Generator(model);
        this.tokenizer = tokenizer;
        this.config = config;
        this.chat = chat && tokenizer.chatTemplate().isPresent();
    }

    @Override
    public String complete(String prompt, int attempt) {
        int[] ids = chat
                ? tokenizer.encode(tokenizer.chatTemplate().orElseThrow().render(
                        List.of(Map.of("role", "user", "content", prompt)), true, Map.of()), false)
                : tokenizer.encode(prompt, true);
        if (ids.length == 0) {
            throw new IllegalArgumentException("the prompt is empty after tokenization");
        }
        GenerationConfig c = config;
        if (attempt > 0) {
            c = (c.doSample() ? c : c.withSampling(RETRY_TEMPERATURE, c.topK(), RETRY_TOP_P))
                    .withSeed(c.seed() + attempt);
        }
        Generation generation = generator.generate(new int[][] {ids}, c);
        return tokenizer.decode(generation.completion(0), true);
    }
}
