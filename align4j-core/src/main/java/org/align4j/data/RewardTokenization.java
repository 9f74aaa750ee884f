package org.align4j.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns preference examples ({@code prompt?, chosen, rejected}, or pre-tokenized ids) into {@link PreferencePair}s
 * with an {@link SftTokenization}, so that every text is tokenized by the same rules as SFT (EOS appended to
 * standard text, chat template for message lists).
 *
 * <p>{@link #wholeTexts} is TRL's {@code RewardTrainer._prepare_dataset}: each side is prompt + response as one text
 * (string concatenation, or the messages of both in one conversation rendered without a generation prompt),
 * tokenized whole; the reward model reads all of it. {@link #completions} keeps the prompt apart, as a
 * prompt-completion SFT example ({@code completion_only_loss} decides the mask); an implicit-prompt pair has no
 * prompt to keep apart and is trained on its whole text. Preferred-FT and Unlikelihood train on these.
 */
public final class RewardTokenization {
    private final SftTokenization tokenization;

    /** A pair tokenization with the tokenizer and {@code completion_only_loss} of {@code tokenization}. */
    public RewardTokenization(SftTokenization tokenization) {
        this.tokenization = tokenization;
    }

    /** What {@link #withinMaxLength} kept, and how many pairs it dropped. */
    public record Filtered(List<PreferencePair> kept, int dropped) {
    }

    /** The pair as TRL's reward trainer tokenizes it: prompt + chosen and prompt + rejected, each a whole text. */
    public PreferencePair wholeTexts(Example example) {
        return switch (example) {
            case Example.Preference p -> new PreferencePair(p.source(), whole(p.source(), p.prompt(), p.chosen()),
                    whole(p.source(), p.prompt(), p.rejected()), p.margin() == null ? 0 : p.margin());
            case Example.TokenizedPreference t -> new PreferencePair(t.source(),
                    tokenized(t.promptIds(), t.chosenIds(), t.source(), false),
                    tokenized(t.promptIds(), t.rejectedIds(), t.source(), false), 0);
            default -> throw notAPair(example);
        };
    }

    /**
     * The pair as two SFT examples sharing the prompt: {@link #chosenExample} and its rejected twin, tokenized by
     * the SFT rules (pre-tokenized pairs: the completion ids in the loss).
     */
    public PreferencePair completions(Example example) {
        return switch (example) {
            case Example.Preference p -> new PreferencePair(p.source(), tokenization.tokenize(chosenExample(p)),
                    tokenization.tokenize(side(p, p.rejected())), p.margin() == null ? 0 : p.margin());
            case Example.TokenizedPreference t -> new PreferencePair(t.source(),
                    tokenized(t.promptIds(), t.chosenIds(), t.source(), true),
                    tokenized(t.promptIds(), t.rejectedIds(), t.source(), true), 0);
            default -> throw notAPair(example);
        };
    }

    /**
     * The sequence a reward model scores for a single-text example: {@code text} or {@code messages} as SFT
     * tokenizes it, or prompt + completion as one text, tokenized as {@link #wholeTexts} tokenizes each side.
     */
    public TokenizedSequence wholeText(Example example) {
        return switch (example) {
            case Example.LanguageModeling lm -> tokenization.tokenize(lm);
            case Example.PromptCompletion pc -> whole(pc.source(), pc.prompt(), pc.completion());
            default -> throw new DataException(example.source() + ": expected text, messages or prompt/completion, got "
                    + example.getClass().getSimpleName());
        };
    }

    /**
     * The chosen response of {@code p} as an SFT example: prompt-completion when the prompt is explicit, the whole
     * chosen text when it is implicit.
     */
    public static Example chosenExample(Example.Preference p) {
        return side(p, p.chosen());
    }

    /**
     * The pairs whose chosen and rejected sequences both have at most {@code maxLength} tokens, as TRL's reward
     * trainer filters its dataset (longer pairs are dropped, not truncated); {@code maxLength} null keeps all.
     */
    public static Filtered withinMaxLength(List<PreferencePair> pairs, Integer maxLength) {
        if (maxLength == null) {
            return new Filtered(List.copyOf(pairs), 0);
        }
        List<PreferencePair> kept = new ArrayList<>(pairs.size());
        for (PreferencePair p : pairs) {
            if (p.maxLength() <= maxLength) {
                kept.add(p);
            }
        }
        return new Filtered(List.copyOf(kept), pairs.size() - kept.size());
    }

    private TokenizedSequence whole(String source, Text prompt, Text response) {
        return tokenization.tokenize(new Example.LanguageModeling(source, joined(prompt, response, source)));
    }

    private static Example side(Example.Preference p, Text response) {
        return p.prompt() == null ? new Example.LanguageModeling(p.source(), response)
                : new Example.PromptCompletion(p.source(), p.prompt(), response);
    }

    /** The prompt followed by the response as one text (the response alone when the prompt is implicit). */
    private static Text joined(Text prompt, Text response, String source) {
        if (prompt == null) {
            return response;
        }
        if (prompt instanceof Text.Plain p && response instanceof Text.Plain r) {
            return new Text.Plain(p.text() + r.text());
        }
        if (prompt instanceof Text.Conversation p && response instanceof Text.Conversation r) {
            List<Message> all = new ArrayList<>(p.messages());
            all.addAll(r.messages());
            return new Text.Conversation(all);
        }
        throw new DataException(source + ": prompt and responses must all be strings or all message lists");
    }

    private static TokenizedSequence tokenized(int[] prompt, int[] response, String source, boolean completionMask) {
        int[] ids = Arrays.copyOf(prompt, prompt.length + response.length);
        System.arraycopy(response, 0, ids, prompt.length, response.length);
        boolean[] mask = new boolean[ids.length];
        Arrays.fill(mask, completionMask ? prompt.length : 0, ids.length, true);
        return new TokenizedSequence(ids, mask, source);
    }

    private static DataException notAPair(Example example) {
        return new DataException(example.source() + ": expected a preference pair (prompt?, chosen, rejected), got "
                + example.getClass().getSimpleName());
    }
}
