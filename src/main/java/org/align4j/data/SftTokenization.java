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

    /** A tokenization with TRL's default completion_only_loss = true for prompt-completion data. */
    public SftTokenization(Tokenizer tokenizer, boolean completionOnlyLoss) {
        this.tokenizer = tokenizer;
        this.completionOnlyLoss = completionOnlyLoss;
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
        int[] ids = switch (text) {
            case Text.Plain p -> tokenizer.encode(withEos(p.text()), true);
            case Text.Conversation c -> tokenizer.encode(render(c.messages(), false, source), false);
        };
        boolean[] mask = new boolean[ids.length];
        java.util.Arrays.fill(mask, true);
        return new TokenizedSequence(ids, mask, source);
    }

    private TokenizedSequence promptCompletion(Example.PromptCompletion pc) {
        String source = pc.source();
        int[] promptIds;
        int[] fullIds;
        if (pc.prompt() instanceof Text.Conversation p && pc.completion() instanceof Text.Conversation c) {
            promptIds = tokenizer.encode(render(p.messages(), true, source), false);
            List<Message> all = new ArrayList<>(p.messages());
            all.addAll(c.messages());
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
        List<Map<String, Object>> list = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            list.add(map);
        }
        return template.render(list, addGenerationPrompt, Map.of());
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
