package org.align4j.align.dice;

import java.util.ArrayList;
import java.util.List;
import org.align4j.data.DataException;
import org.align4j.data.Example;
import org.align4j.data.SftTokenization;
import org.align4j.data.Text;
import org.align4j.tokenizer.Tokenizer;

/**
 * A prompt DICE samples responses for: its text as TRL's prompt-only format gives it (a string or a message list; null
 * for a pre-tokenized prompt) and the ids the policy continues. Text prompts are tokenized as
 * {@link org.align4j.data.PreferenceTokenization} tokenizes the prompt of a preference pair (a string with the
 * tokenizer's special tokens; messages rendered with the chat template and the generation prompt), so that the
 * generated pairs train on the prompt ids they were sampled from.
 *
 * @param source where the prompt came from ({@code file:line})
 * @param text   the prompt text, or null
 * @param ids    the prompt's token ids (not empty)
 */
public record DicePrompt(String source, Text text, int[] ids) {

    /** Checks and copies the ids. */
    public DicePrompt {
        if (ids == null || ids.length == 0) {
            throw new DataException(source + ": the prompt has no tokens");
        }
        ids = ids.clone();
    }

    /** The prompts of TRL prompt-only examples ({@code {"prompt": ...}}), tokenized with {@code tokenizer}. */
    public static List<DicePrompt> of(List<Example> examples, Tokenizer tokenizer) {
        if (tokenizer == null) {
            throw new IllegalArgumentException("text prompts need a tokenizer");
        }
        List<DicePrompt> prompts = new ArrayList<>(examples.size());
        for (Example e : examples) {
            if (!(e instanceof Example.PromptOnly p)) {
                throw new DataException(e.source() + ": DICE prompts are prompt-only examples {\"prompt\": ...}, got "
                        + e.getClass().getSimpleName());
            }
            prompts.add(new DicePrompt(p.source(), p.prompt(), switch (p.prompt()) {
                case Text.Plain plain -> tokenizer.encode(plain.text(), true);
                case Text.Conversation c -> tokenizer.encode(new SftTokenization(tokenizer, true)
                        .render(c.messages(), true, p.source()), false);
            }));
        }
        return prompts;
    }

    /** Plain-string prompts, named {@code prompt N}, tokenized with {@code tokenizer}. */
    public static List<DicePrompt> texts(List<String> texts, Tokenizer tokenizer) {
        List<Example> examples = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            examples.add(new Example.PromptOnly("prompt " + i, new Text.Plain(texts.get(i))));
        }
        return of(examples, tokenizer);
    }

    /** Pre-tokenized prompts, named {@code prompt N}. */
    public static List<DicePrompt> of(int[][] ids) {
        List<DicePrompt> prompts = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
            prompts.add(new DicePrompt("prompt " + i, null, ids[i]));
        }
        return prompts;
    }
}
