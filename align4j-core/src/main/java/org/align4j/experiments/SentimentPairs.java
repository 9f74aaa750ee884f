package org.align4j.experiments;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.align4j.data.Afinn;
import org.align4j.data.Example;
import org.align4j.data.Text;
import org.align4j.model.CausalLM;
import org.align4j.model.GenerationConfig;
import org.align4j.model.Generator;
import org.align4j.tokenizer.Tokenizer;

/**
 * Preference pairs a model makes itself, ranked by AFINN-165 sentiment: the controlled-sentiment task of the DPO paper
 * (Rafailov et al. 2023, section 6.1) at toy scale. Prompts are the four-word openings of training paragraphs; each is
 * continued four times by sampling, the sample with the highest AFINN score is chosen and the lowest rejected (ties
 * skipped).
 */
public final class SentimentPairs {
    /** Samples drawn per prompt. */
    public static final int SAMPLES_PER_PROMPT = 4;
    private static final int PROMPT_WORDS = 4;
    private static final int MIN_PARAGRAPH_WORDS = 13;
    private static final int NEW_TOKENS = 24;

    private SentimentPairs() {
    }

    /**
     * Up to {@code count} prompts: the first four words of each paragraph (a line of a {@link Text.Plain} language
     * modelling example) with more than 12 words, in order.
     */
    public static List<String> prompts(List<Example> texts, int count) {
        List<String> prompts = new ArrayList<>();
        for (Example e : texts) {
            for (String paragraph : ((Text.Plain) ((Example.LanguageModeling) e).text()).text().split("\n")) {
                String[] words = paragraph.split(" ");
                if (words.length >= MIN_PARAGRAPH_WORDS && prompts.size() < count) {
                    prompts.add(String.join(" ", Arrays.copyOf(words, PROMPT_WORDS)));
                }
            }
        }
        return prompts;
    }

    /** {@code n} sampled continuations of each prompt (temperature 1, top-k 50, 24 new tokens, stopping at eos). */
    public static List<String[]> sample(CausalLM model, Tokenizer tokenizer, List<String> prompts, int n, int eos,
                                        long seed) {
        int[][] ids = new int[prompts.size() * n][];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = tokenizer.encode(prompts.get(i / n), false);
        }
        var generation = new Generator(model).generate(ids,
                new GenerationConfig(NEW_TOKENS, true, 1.0, 50, 1.0, List.of(eos), eos, seed));
        List<String[]> out = new ArrayList<>();
        for (int p = 0; p < prompts.size(); p++) {
            String[] row = new String[n];
            for (int j = 0; j < n; j++) {
                row[j] = tokenizer.decode(generation.completion(p * n + j), true);
            }
            out.add(row);
        }
        return out;
    }

    /**
     * The preference pairs of {@code prompts}: {@link #SAMPLES_PER_PROMPT} samples each from {@code model}, chosen =
     * highest AFINN score, rejected = lowest, prompts whose samples all tie left out.
     */
    public static List<Example> build(CausalLM model, Tokenizer tokenizer, List<String> prompts, Afinn afinn, int eos,
                                      long seed) {
        List<Example> pairs = new ArrayList<>();
        List<String[]> samples = sample(model, tokenizer, prompts, SAMPLES_PER_PROMPT, eos, seed);
        for (int i = 0; i < prompts.size(); i++) {
            String best = null;
            String worst = null;
            for (String text : samples.get(i)) {
                if (best == null || afinn.score(text) > afinn.score(best)) {
                    best = text;
                }
                if (worst == null || afinn.score(text) < afinn.score(worst)) {
                    worst = text;
                }
            }
            if (afinn.score(best) != afinn.score(worst)) {
                pairs.add(new Example.Preference("pair " + i, new Text.Plain(prompts.get(i)), new Text.Plain(best),
                        new Text.Plain(worst)));
            }
        }
        return pairs;
    }
}
