package org.align4j.data;

import java.util.List;
import org.align4j.tokenizer.Tokenizer;

/**
 * Tokenizes TRL's prompt-only data ({@code {"prompt": ...}}) for sampling stages such as PPO, as TRL prepares it: a
 * plain prompt is tokenized with the tokenizer's special tokens; a conversational prompt is rendered with the chat
 * template and the generation prompt, then tokenized as it is.
 */
public final class PromptTokenization {
    private PromptTokenization() {
    }

    /** The token ids of every example, in order; an example that is not prompt-only is a {@link DataException}. */
    public static int[][] tokenizeAll(Tokenizer tokenizer, List<Example> examples) {
        SftTokenization templates = new SftTokenization(tokenizer, true);
        int[][] ids = new int[examples.size()][];
        for (int i = 0; i < ids.length; i++) {
            Example example = examples.get(i);
            if (!(example instanceof Example.PromptOnly prompt)) {
                throw new DataException(example.source() + ": expected a prompt-only example {\"prompt\": ...}, got "
                        + example.getClass().getSimpleName());
            }
            ids[i] = switch (prompt.prompt()) {
                case Text.Plain p -> tokenizer.encode(p.text(), true);
                case Text.Conversation c -> tokenizer.encode(templates.render(c.messages(), true, prompt.source()),
                        false);
            };
            if (ids[i].length == 0) {
                throw new DataException(prompt.source() + ": field 'prompt' has no tokens");
            }
        }
        return ids;
    }
}
