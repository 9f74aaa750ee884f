package org.align4j.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.InputException;
import org.align4j.tokenizer.ChatTemplate;
import org.align4j.tokenizer.Tokenizer;

/**
 * Turns examples into training sequences the way TRL's {@code SFTTrainer} does: plain text is tokenized with the
 * tokenizer's special tokens and an EOS appended; prompt-completion examples tokenize prompt + completion (+ EOS) and
 * put only the completion in the loss (completion_only_loss); conversational examples are rendered with the chat
 * template (prompt with add_generation_prompt), completion-only where there is a prompt.
 */
public final class SftTokenization {
    private final Tokenizer tokenizer;
    private final boolean completionOnlyLoss;
    private final boolean assistantOnlyLoss;

    /** A tokenization with TRL's default completion_only_loss = true for prompt-completion data. */
    public SftTokenization(Tokenizer tokenizer, boolean completionOnlyLoss) {
        this(tokenizer, completionOnlyLoss, false);
    }

    /**
     * A tokenization that, with {@code assistantOnlyLoss} (TRL's {@code assistant_only_loss}), keeps in the loss of
     * conversational examples only the tokens the chat template's {@code {% generation %}} blocks produce (and, for
     * prompt-completion ones under completion_only_loss, only those of the completion).
     */
    public SftTokenization(Tokenizer tokenizer, boolean completionOnlyLoss, boolean assistantOnlyLoss) {
        this.tokenizer = tokenizer;
        this.completionOnlyLoss = completionOnlyLoss;
        this.assistantOnlyLoss = assistantOnlyLoss;
    }

    /** The training sequence of one example. */
    public TokenizedSequence tokenize(Example example) {
        return switch (example) {
            case Example.LanguageModeling lm -> whole(lm.text(), lm.source());
            case Example.PromptCompletion pc -> promptCompletion(pc);
            default -> throw new DataException(example.source() + ": SFT needs text, messages or prompt/completion"
                    + " examples, got " + example.getClass().getSimpleName());
        };
    }

    /** All examples tokenized and truncated to {@code maxLength} keeping the start (0: no truncation). */
    public List<TokenizedSequence> tokenizeAll(List<Example> examples, int maxLength) {
        return tokenizeAll(examples, maxLength > 0 ? maxLength : null, TruncationMode.KEEP_START);
    }

    /** All examples tokenized and truncated to {@code maxLength} (null: none) as {@code truncationMode} says. */
    public List<TokenizedSequence> tokenizeAll(List<Example> examples, Integer maxLength,
                                               TruncationMode truncationMode) {
        List<TokenizedSequence> out = new ArrayList<>(examples.size());
        for (Example e : examples) {
            TokenizedSequence s = tokenize(e);
            out.add(maxLength != null ? s.truncate(maxLength, truncationMode) : s);
        }
        return out;
    }

    private TokenizedSequence whole(Text text, String source) {
        if (assistantOnlyLoss && text instanceof Text.Conversation c) {
            return assistantTokens(c.messages(), null, source);
        }
        int[] ids = switch (text) {
            case Text.Plain p -> tokenizer.encode(withEos(p.text()), true);
            case Text.Conversation c -> tokenizer.encode(render(c.messages(), false, source), false);
        };
        boolean[] mask = new boolean[ids.length];
        java.util.Arrays.fill(mask, true);
        return new TokenizedSequence(ids, mask, source);
    }

    /**
     * {@code messages} rendered with the assistant spans of the chat template, the loss mask true on the tokens inside
     * them (and, when {@code promptTokens} is given, after the prompt's tokens).
     *
     * @throws DataException when the template marks no assistant tokens (it has no generation blocks), or a span
     *                       boundary falls inside a token
     */
    private TokenizedSequence assistantTokens(List<Message> messages, Integer promptTokens, String source) {
        ChatTemplate.Rendering rendering = tokenizer.chatTemplate().orElseThrow(() -> new DataException(source
                + ": conversational example, but the tokenizer has no chat_template"))
                .renderWithGenerationSpans(maps(messages), false, Map.of());
        String text = rendering.text();
        int[] ids = tokenizer.encode(text, false);
        boolean[] mask = new boolean[ids.length];
        for (int[] span : rendering.spans()) {
            int from = tokenIndex(text, span[0], ids, source);
            int to = tokenIndex(text, span[1], ids, source);
            for (int t = from; t < to; t++) {
                mask[t] = promptTokens == null || t >= promptTokens;
            }
        }
        boolean any = false;
        for (boolean m : mask) {
            any |= m;
        }
        if (!any) {
            throw new DataException(source + ": assistant_only_loss, but the chat template marks no assistant tokens"
                    + " (it needs {% generation %} ... {% endgeneration %} around the assistant's turns)");
        }
        return new TokenizedSequence(ids, mask, source);
    }

    /** The number of tokens of {@code text} before character {@code at}: those of the prefix, which must tokenize alike. */
    private int tokenIndex(String text, int at, int[] ids, String source) {
        int[] prefix = tokenizer.encode(text.substring(0, at), false);
        if (prefix.length > ids.length || !java.util.Arrays.equals(prefix, 0, prefix.length, ids, 0, prefix.length)) {
            throw new DataException(source + ": an assistant span of the chat template starts or ends inside a token"
                    + " (character " + at + "), so its tokens cannot be told apart");
        }
        return prefix.length;
    }

    private TokenizedSequence promptCompletion(Example.PromptCompletion pc) {
        String source = pc.source();
        int[] promptIds;
        int[] fullIds;
        if (pc.prompt() instanceof Text.Conversation p && pc.completion() instanceof Text.Conversation c) {
            promptIds = tokenizer.encode(render(p.messages(), true, source), false);
            List<Message> all = new ArrayList<>(p.messages());
            all.addAll(c.messages());
            if (assistantOnlyLoss) {
                return assistantTokens(all, completionOnlyLoss ? promptIds.length : null, source);
            }
            fullIds = tokenizer.encode(render(all, false, source), false);
        } else if (pc.prompt() instanceof Text.Plain p && pc.completion() instanceof Text.Plain c) {
            promptIds = tokenizer.encode(p.text(), true);
            fullIds = tokenizer.encode(p.text() + withEos(c.text()), true);
        } else {
            throw new DataException(source + ": prompt and completion must both be strings or both message lists");
        }
        boolean[] mask = new boolean[fullIds.length];
        for (int t = 0; t < fullIds.length; t++) {
            mask[t] = !completionOnlyLoss || t >= promptIds.length;
        }
        return new TokenizedSequence(fullIds, mask, source);
    }

    private String withEos(String text) {
        String eos = tokenizer.eosToken().orElse(null);
        return eos == null || text.endsWith(eos) ? text : text + eos;
    }

    /** Renders messages with the tokenizer's chat template. */
    public String render(List<Message> messages, boolean addGenerationPrompt, String source) {
        ChatTemplate template = tokenizer.chatTemplate().orElseThrow(() -> new DataException(source
                + ": conversational example, but the tokenizer has no chat_template"));
        return template.render(maps(messages), addGenerationPrompt, Map.of());
    }

    private static List<Map<String, Object>> maps(List<Message> messages) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            list.add(map);
        }
        return list;
    }

    /**
     * Packs sequences into rows of exactly {@code maxLength} tokens by concatenation (TRL's "wrapped" packing):
     * documents follow each other in a row, the last row may be shorter, and each token keeps its loss mask.
     */
    public static List<TokenizedSequence> pack(List<TokenizedSequence> sequences, int maxLength) {
        if (maxLength <= 0) {
            throw new InputException("packing needs max_length > 0, got " + maxLength);
        }
        double weight = sequences.isEmpty() ? 1.0 : sequences.get(0).weight();
        for (TokenizedSequence s : sequences) {
            if (s.weight() != weight) {
                throw new DataException(s.source() + ": packing mixes sequences of different loss weights ("
                        + weight + " and " + s.weight() + "); turn packing off for weighted (C-RLFT) data");
            }
        }
        int total = sequences.stream().mapToInt(TokenizedSequence::length).sum();
        int[] ids = new int[total];
        boolean[] mask = new boolean[total];
        int at = 0;
        for (TokenizedSequence s : sequences) {
            System.arraycopy(s.ids(), 0, ids, at, s.length());
            System.arraycopy(s.lossMask(), 0, mask, at, s.length());
            at += s.length();
        }
        List<TokenizedSequence> rows = new ArrayList<>();
        for (int start = 0; start < total; start += maxLength) {
            int end = Math.min(total, start + maxLength);
            rows.add(new TokenizedSequence(java.util.Arrays.copyOfRange(ids, start, end),
                    java.util.Arrays.copyOfRange(mask, start, end), "packed row " + rows.size(), weight));
        }
        return rows;
    }
}
