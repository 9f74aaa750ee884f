package org.align4j.data;

import java.util.ArrayList;
import java.util.List;
import org.align4j.tokenizer.Tokenizer;

/**
 * Tokenizes TRL's prompt-only data ({@code {"prompt": ...}}) for sampling stages such as PPO and GRPO, as TRL
 * prepares it: a plain prompt is tokenized with the tokenizer's special tokens; a conversational prompt is rendered
 * with the chat template and the generation prompt, then tokenized as it is.
 */
public final class PromptTokenization {
    private PromptTokenization() {
    }

    /**
     * A tokenized prompt.
     *
     * @param example the prompt-only example
     * @param text    the prompt as the model sees it (a conversation rendered with the chat template)
     * @param ids     its token ids
     */
    public record Prompt(Example.PromptOnly example, String text, int[] ids) {
    }

    /** The token ids of every example, in order; an example that is not prompt-only is a {@link DataException}. */
    public static int[][] tokenizeAll(Tokenizer tokenizer, List<Example> examples) {
        return prepareAll(tokenizer, examples).stream().map(Prompt::ids).toArray(int[][]::new);
    }

    /** Every example rendered and tokenized, in order; one that is not prompt-only is a {@link DataException}. */
    public static List<Prompt> prepareAll(Tokenizer tokenizer, List<Example> examples) {
        SftTokenization templates = new SftTokenization(tokenizer, true);
        List<Prompt> prompts = new ArrayList<>(examples.size());
        for (Example example : examples) {
            if (!(example instanceof Example.PromptOnly prompt)) {
                throw new DataException(example.source() + ": expected a prompt-only example {\"prompt\": ...}, got "
                        + example.getClass().getSimpleName());
            }
            Prompt tokenized = switch (prompt.prompt()) {
                case Text.Plain p -> new Prompt(prompt, p.text(), tokenizer.encode(p.text(), true));
                case Text.Conversation c -> {
                    String text = templates.render(c.messages(), true, prompt.source());
                    yield new Prompt(prompt, text, tokenizer.encode(text, false));
                }
            };
            if (tokenized.ids().length == 0) {
                throw new DataException(prompt.source() + ": field 'prompt' has no tokens");
            }
            prompts.add(tokenized);
        }
        return prompts;
    }
}
