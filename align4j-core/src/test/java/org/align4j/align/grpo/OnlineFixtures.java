package org.align4j.align.grpo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
import org.align4j.align.TinyModels;
import org.align4j.data.Example;
import org.align4j.data.Text;
import org.align4j.tokenizer.Tokenizer;

/**
 * What the online trainers' tests share: a tokenizer for the {@link TinyModels} vocabulary (id 0 is the eos token
 * {@code </s>}, ids 1-39 single characters), prompts, and a reward for vowels.
 */
final class OnlineFixtures {
    /** The characters of ids 1 to 39. */
    static final String CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789 .!";

    private OnlineFixtures() {
    }

    /** Writes the tokenizer into {@code dir} and loads it. */
    static Tokenizer tokenizer(Path dir) throws IOException {
        Files.createDirectories(dir);
        StringBuilder vocab = new StringBuilder("\"</s>\": 0");
        for (int i = 0; i < CHARACTERS.length(); i++) {
            vocab.append(", \"").append(CHARACTERS.charAt(i)).append("\": ").append(i + 1);
        }
        Files.writeString(dir.resolve("tokenizer.json"), """
                {"version": "1.0", "added_tokens": [{"id": 0, "content": "</s>", "single_word": false,
                  "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
                 "normalizer": null, "pre_tokenizer": null, "post_processor": null, "decoder": null,
                 "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                   "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false,
                   "vocab": {%s}, "merges": []}}
                """.formatted(vocab));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\", \"pad_token\": \"</s>\"}");
        return Tokenizer.load(dir);
    }

    /** {@code count} prompts of three random characters, with an {@code answer} column. */
    static List<Example> prompts(int count) {
        SplittableRandom rng = new SplittableRandom(5);
        List<Example> prompts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            StringBuilder text = new StringBuilder();
            for (int t = 0; t < 3; t++) {
                text.append(CHARACTERS.charAt(rng.nextInt(26)));
            }
            prompts.add(new Example.PromptOnly("prompts.jsonl:" + (i + 1), new Text.Plain(text.toString()),
                    java.util.Map.of("answer", com.fasterxml.jackson.databind.node.TextNode.valueOf("eee"))));
        }
        return prompts;
    }

    /** The fraction of the completion's characters that are vowels (0 for an empty completion). */
    static RewardFunction vowels() {
        return RewardFunction.of("vowels", (prompt, completion, columns) -> {
            long vowels = completion.chars().filter(c -> "aeiou".indexOf(c) >= 0).count();
            return OptionalDouble.of(completion.isEmpty() ? 0 : (double) vowels / completion.length());
        });
    }
}
