package org.align4j.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.align4j.InputException;
import org.align4j.tokenizer.Tokenizer;

/**
 * Turns preference examples into {@link PreferencePair}s the way TRL's {@code DPOTrainer} prepares its dataset
 * (TRL 1.x):
 * <ul>
 *   <li>an implicit prompt ({@code {"chosen", "rejected"}} only) is extracted first as TRL's
 *       {@code maybe_extract_prompt} does ({@link #withExplicitPrompt});</li>
 *   <li>standard (string) examples get the tokenizer's EOS appended to both completions, then
 *       {@code prompt_ids = tokenize(prompt)} and {@code chosen_ids = tokenize(prompt + chosen)[len(prompt_ids):]}
 *       (rejected alike), with the tokenizer's special tokens;</li>
 *   <li>conversational examples render the prompt with the chat template and {@code add_generation_prompt}, and
 *       prompt + completion without it; the completion ids are the tail after the prompt's ids; no EOS is added
 *       (the template ends the turn);</li>
 *   <li>pre-tokenized examples ({@code prompt_ids}, {@code chosen_ids}, {@code rejected_ids}) are used as they are,
 *       without EOS;</li>
 *   <li>each sequence prompt + completion is truncated to {@code max_length} by {@code truncation_mode}, as TRL's
 *       collator truncates before padding; with {@code keep_start}, an example whose prompt alone reaches
 *       {@code max_length} would keep no completion token and is dropped (counted in {@link Result#dropped()}).</li>
 * </ul>
 * When the tokenized prompt is not a prefix of the tokenized prompt + completion (a merge across the boundary, or a
 * template that renders earlier turns differently), the completion is still the tail after {@code len(prompt_ids)}
 * tokens and the pair is counted in {@link Result#promptMismatches()}, as TRL warns and goes on.
 */
public final class PreferenceTokenization {
    private final Tokenizer tokenizer;
    private final Integer maxLength;
    private final TruncationMode truncationMode;

    /**
     * A tokenization with TRL's {@code max_length} (null: no truncation) and {@code truncation_mode}; the tokenizer
     * may be null when every example is pre-tokenized.
     */
    public PreferenceTokenization(Tokenizer tokenizer, Integer maxLength, TruncationMode truncationMode) {
        if (maxLength != null && maxLength <= 0) {
            throw new InputException("max_length must be > 0 (or null for no truncation), got " + maxLength);
        }
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        this.truncationMode = Objects.requireNonNull(truncationMode, "truncation_mode");
    }

    /**
     * The tokenized pairs of a dataset.
     *
     * @param pairs            the kept pairs, in dataset order
     * @param dropped          examples dropped because their prompt alone reaches {@code max_length} under
     *                         {@code keep_start}
     * @param promptMismatches kept pairs whose tokenized prompt is not a prefix of a tokenized prompt + completion
     */
    public record Result(List<PreferencePair> pairs, int dropped, int promptMismatches) {
        /** Freezes the list. */
        public Result {
            pairs = List.copyOf(pairs);
        }

        /** The warnings TRL would log for this dataset, one line each (none when nothing happened). */
        public List<String> warnings(int examples, Integer maxLength) {
            List<String> lines = new ArrayList<>();
            if (dropped > 0) {
                lines.add("dropped " + dropped + " of " + examples + " examples whose prompt alone reaches max_length "
                        + maxLength + " (truncation_mode keep_start would leave no completion token)");
            }
            if (promptMismatches > 0) {
                lines.add(promptMismatches + " examples: the tokenized prompt is not the start of the tokenized "
                        + "prompt + completion (tokenizer merges across the boundary, whitespace or template); "
                        + "their completions start after the prompt's token count");
            }
            return lines;
        }
    }

    /** Prompt, chosen and rejected ids of one example before truncation. */
    private record Ids(int[] prompt, int[] chosen, int[] rejected, boolean mismatch) {
    }

    /**
     * The ids of one prompt and one completion before truncation, tokenized as one side of a pair is (KTO's unpaired
     * examples).
     *
     * @param prompt     the prompt's ids
     * @param completion the completion's ids (the tail of prompt + completion after the prompt's length)
     * @param mismatch   whether the prompt's ids are not a prefix of the prompt + completion's
     */
    public record PromptCompletionIds(int[] prompt, int[] completion, boolean mismatch) {
    }

    /** Tokenizes every example; see the class description for what is dropped. */
    public Result tokenizeAll(List<Example> examples) {
        List<PreferencePair> pairs = new ArrayList<>(examples.size());
        int dropped = 0;
        int mismatches = 0;
        for (Example example : examples) {
            Ids ids = ids(example);
            if (drops(ids.prompt().length)) {
                dropped++;
                continue;
            }
            mismatches += ids.mismatch() ? 1 : 0;
            pairs.add(pair(ids, example.source()));
        }
        return new Result(pairs, dropped, mismatches);
    }

    /** The pair of one example (truncated, never dropped). */
    public PreferencePair tokenize(Example example) {
        return pair(ids(example), example.source());
    }

    /**
     * The ids of an unpaired example ({@code {"prompt", "completion"}}, text or messages), tokenized as one side of
     * a pair is: the EOS appended to a text completion, a conversation rendered with the chat template.
     */
    public PromptCompletionIds ids(String source, Text prompt, Text completion) {
        Encoded e = encode(source, prompt, completion);
        return new PromptCompletionIds(e.prompt(), e.completions()[0], e.mismatch());
    }

    /** Whether an example with {@code promptLength} prompt tokens is dropped: its prompt alone reaches max_length. */
    public boolean drops(int promptLength) {
        return truncationMode == TruncationMode.KEEP_START && maxLength != null && promptLength >= maxLength;
    }

    private PreferencePair pair(Ids ids, String source) {
        // a causal LM scores token t from the tokens before it: the first token of a sequence is never scored
        int unscored = ids.prompt().length == 0 ? 1 : 0;
        if (ids.chosen().length <= unscored || ids.rejected().length <= unscored) {
            throw new DataException(source + ": the " + (ids.chosen().length <= unscored ? "chosen" : "rejected")
                    + " completion has no token to score (an empty text, a tokenizer that does not cover it, or an"
                    + " empty prompt before a one-token completion)");
        }
        return new PreferencePair(source, sequence(ids.prompt(), ids.chosen(), source),
                sequence(ids.prompt(), ids.rejected(), source));
    }

    /**
     * Prompt + completion as one sequence whose completion tokens are in the loss, truncated to {@code max_length} by
     * {@code truncation_mode}.
     */
    public TokenizedSequence sequence(int[] prompt, int[] completion, String source) {
        int length = prompt.length + completion.length;
        int[] all = Arrays.copyOf(prompt, length);
        System.arraycopy(completion, 0, all, prompt.length, completion.length);
        boolean[] mask = new boolean[length];
        Arrays.fill(mask, prompt.length, length, true);
        if (maxLength == null) {
            return new TokenizedSequence(all, mask, source);
        }
        int[] kept = truncationMode.keptRange(length, maxLength);
        return new TokenizedSequence(Arrays.copyOfRange(all, kept[0], kept[1]), Arrays.copyOfRange(mask, kept[0],
                kept[1]), source);
    }

    private Ids ids(Example example) {
        return switch (example) {
            case Example.TokenizedPreference t -> new Ids(t.promptIds(), t.chosenIds(), t.rejectedIds(), false);
            case Example.Preference p -> textIds(withExplicitPrompt(p));
            default -> throw new DataException(example.source() + ": DPO needs preference examples ({prompt, chosen, "
                    + "rejected}, {chosen, rejected} or {prompt_ids, chosen_ids, rejected_ids}), got "
                    + example.getClass().getSimpleName());
        };
    }

    private Ids textIds(Example.Preference p) {
        Encoded e = encode(p.source(), p.prompt(), p.chosen(), p.rejected());
        return new Ids(e.prompt(), e.completions()[0], e.completions()[1], e.mismatch());
    }

    /** A prompt's ids and the ids of each of its completions (the tails of prompt + completion). */
    private record Encoded(int[] prompt, int[][] completions, boolean mismatch) {
    }

    private Encoded encode(String source, Text prompt, Text... completions) {
        if (tokenizer == null) {
            throw new DataException(source + ": text preference examples need a tokenizer");
        }
        int[] promptIds;
        int[][] full = new int[completions.length][];
        if (prompt instanceof Text.Plain plain && allOf(completions, Text.Plain.class)) {
            promptIds = tokenizer.encode(plain.text(), true);
            for (int k = 0; k < completions.length; k++) {
                full[k] = tokenizer.encode(plain.text() + withEos(((Text.Plain) completions[k]).text()), true);
            }
        } else if (prompt instanceof Text.Conversation conversation && allOf(completions, Text.Conversation.class)) {
            SftTokenization renderer = new SftTokenization(tokenizer, true);
            promptIds = tokenizer.encode(renderer.render(conversation.messages(), true, source), false);
            for (int k = 0; k < completions.length; k++) {
                full[k] = tokenizer.encode(renderer.render(concat(conversation, (Text.Conversation) completions[k]),
                        false, source), false);
            }
        } else {
            throw new DataException(source + ": the prompt and the completions must all be strings or all message "
                    + "lists");
        }
        boolean mismatch = false;
        int[][] tails = new int[completions.length][];
        for (int k = 0; k < completions.length; k++) {
            mismatch |= !startsWith(full[k], promptIds);
            tails[k] = tail(full[k], promptIds.length);
        }
        return new Encoded(promptIds, tails, mismatch);
    }

    private static boolean allOf(Text[] texts, Class<? extends Text> type) {
        for (Text t : texts) {
            if (!type.isInstance(t)) {
                return false;
            }
        }
        return true;
    }

    private static List<Message> concat(Text.Conversation prompt, Text.Conversation completion) {
        List<Message> all = new ArrayList<>(prompt.messages());
        all.addAll(completion.messages());
        return all;
    }

    private static boolean startsWith(int[] ids, int[] prefix) {
        return ids.length >= prefix.length && Arrays.equals(ids, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static int[] tail(int[] ids, int from) {
        return from >= ids.length ? new int[0] : Arrays.copyOfRange(ids, from, ids.length);
    }

    private String withEos(String text) {
        String eos = tokenizer.eosToken().orElse(null);
        return eos == null || text.endsWith(eos) ? text : text + eos;
    }

    /**
     * The example with its prompt made explicit, as TRL's {@code maybe_extract_prompt} does: an example that has a
     * prompt is returned unchanged; otherwise the prompt is the longest common prefix of chosen and rejected (code
     * points of strings, whole messages of conversations), and chosen and rejected keep what follows. As in TRL's
     * {@code extract_prompt}: when the first difference follows a space, the space goes to the completions; when one
     * side is a prefix of the other (or both are equal), the prompt stops one element short of the shorter side, so
     * that each completion keeps at least its last element. Unlike TRL's Python, a difference at the very first
     * element gives an empty prompt (Python's {@code chosen[idx - 1]} would read the last element there).
     *
     * @throws DataException when chosen or rejected is empty, or one is a string and the other a message list
     */
    public static Example.Preference withExplicitPrompt(Example.Preference example) {
        if (example.prompt() != null) {
            return example;
        }
        String source = example.source();
        if (example.chosen() instanceof Text.Plain chosen && example.rejected() instanceof Text.Plain rejected) {
            int[] a = chosen.text().codePoints().toArray();
            int[] b = rejected.text().codePoints().toArray();
            int at = commonPrefixEnd(a.length, b.length, i -> a[i] == b[i], i -> a[i] == ' ', source);
            return new Example.Preference(source, new Text.Plain(new String(a, 0, at)),
                    new Text.Plain(new String(a, at, a.length - at)), new Text.Plain(new String(b, at, b.length - at)));
        }
        if (example.chosen() instanceof Text.Conversation chosen
                && example.rejected() instanceof Text.Conversation rejected) {
            List<Message> a = chosen.messages();
            List<Message> b = rejected.messages();
            int at = commonPrefixEnd(a.size(), b.size(), i -> a.get(i).equals(b.get(i)), i -> false, source);
            if (at == 0) {
                throw new DataException(source + ": chosen and rejected share no message, so no prompt can be "
                        + "extracted; give a 'prompt' field");
            }
            return new Example.Preference(source, new Text.Conversation(a.subList(0, at)),
                    new Text.Conversation(a.subList(at, a.size())), new Text.Conversation(b.subList(at, b.size())));
        }
        throw new DataException(source + ": chosen and rejected must both be strings or both message lists");
    }

    /** An index predicate. */
    @FunctionalInterface
    private interface IndexTest {
        boolean test(int index);
    }

    /** TRL's {@code extract_prompt} loop: where the shared prefix ends. */
    private static int commonPrefixEnd(int lengthA, int lengthB, IndexTest same, IndexTest isSpace, String source) {
        int shorter = Math.min(lengthA, lengthB);
        if (shorter == 0) {
            throw new DataException(source + ": cannot extract an implicit prompt from an empty 'chosen' or "
                    + "'rejected'");
        }
        for (int i = 0; i < shorter; i++) {
            if (!same.test(i)) {
                return i > 0 && isSpace.test(i - 1) ? i - 1 : i;
            }
        }
        return shorter - 1;
    }
}
