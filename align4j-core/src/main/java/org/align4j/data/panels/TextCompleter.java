package org.align4j.data.panels;

/**
 * Continues a text prompt: a language model behind a tokenizer ({@link ModelTextCompleter}), or in tests a script.
 * The panel builders and the recurrent writer only see this.
 */
@FunctionalInterface
public interface TextCompleter {

    /**
     * The continuation of {@code prompt} (without the prompt). {@code attempt} counts the tries at the same prompt
     * from 0, so that a retry can sample a different continuation.
     */
    String complete(String prompt, int attempt);
}
