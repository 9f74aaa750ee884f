package org.align4j.align.sft;

import java.util.ArrayList;
import java.util.List;
import org.align4j.InputException;
import org.align4j.data.ConditionedExample;
import org.align4j.data.DataException;
import org.align4j.data.Example;
import org.align4j.data.Message;
import org.align4j.data.Text;
import org.align4j.data.TokenizedSequence;
import org.align4j.tokenizer.Tokenizer;

/**
 * Renders C-RLFT examples with the condition in the role prefixes and weights their tokens by the condition's coarse
 * reward: a prompt-completion example becomes {@code <user prefix>prompt<eot><assistant prefix>} + completion
 * {@code <eot>} with only the completion in the loss; a conversation trains on every assistant turn.
 */
public final class CrlftTokenization {
    private final Tokenizer tokenizer;
    private final CrlftConfig config;
    private final String endOfTurn;

    /** Tokenizes with {@code tokenizer} under {@code config}. */
    public CrlftTokenization(Tokenizer tokenizer, CrlftConfig config) {
        this.tokenizer = tokenizer;
        this.config = config;
        this.endOfTurn = config.endOfTurn() != null ? config.endOfTurn() : tokenizer.eosToken().orElseThrow(
                () -> new InputException("the tokenizer has no eos_token: set end_of_turn"));
    }

    /** The prompt text that asks for an assistant turn under {@code condition} (for inference). */
    public String prompt(String condition, String userText) {
        return prefix(config.userPrefix(), condition) + userText + endOfTurn + prefix(config.assistantPrefix(), condition);
    }

    private static String prefix(String pattern, String condition) {
        return pattern.replace("{condition}", condition);
    }

    /** The weighted training sequence of one example, truncated to {@code maxLength} tokens (0: no limit). */
    public TokenizedSequence tokenize(ConditionedExample ce, int maxLength) {
        Example e = ce.example();
        double weight = config.weightOf(ce.condition(), e.source());
        List<String> pieces = new ArrayList<>();
        List<Boolean> trained = new ArrayList<>();
        switch (e) {
            case Example.PromptCompletion pc when pc.prompt() instanceof Text.Plain p
                    && pc.completion() instanceof Text.Plain c -> {
                pieces.add(prompt(ce.condition(), p.text()));
                trained.add(false);
                pieces.add(c.text() + endOfTurn);
                trained.add(true);
            }
            case Example.LanguageModeling lm when lm.text() instanceof Text.Conversation conv ->
                    turns(conv.messages(), ce.condition(), pieces, trained);
            case Example.PromptCompletion pc when pc.prompt() instanceof Text.Conversation p
                    && pc.completion() instanceof Text.Conversation c -> {
                List<Message> all = new ArrayList<>(p.messages());
                all.addAll(c.messages());
                turns(all, ce.condition(), pieces, trained);
            }
            default -> throw new DataException(e.source() + ": C-RLFT needs prompt/completion strings or a"
                    + " conversation");
        }
        List<Integer> ids = new ArrayList<>();
        List<Boolean> mask = new ArrayList<>();
        for (int i = 0; i < pieces.size(); i++) {
            for (int id : tokenizer.encode(pieces.get(i), false)) {
                ids.add(id);
                mask.add(trained.get(i));
            }
        }
        int n = maxLength > 0 ? Math.min(maxLength, ids.size()) : ids.size();
        int[] idArray = new int[n];
        boolean[] maskArray = new boolean[n];
        for (int i = 0; i < n; i++) {
            idArray[i] = ids.get(i);
            maskArray[i] = mask.get(i);
        }
        return new TokenizedSequence(idArray, maskArray, e.source(), weight);
    }

    private void turns(List<Message> messages, String condition, List<String> pieces, List<Boolean> trained) {
        for (Message m : messages) {
            switch (m.role()) {
                case "user" -> {
                    pieces.add(prefix(config.userPrefix(), condition) + m.content() + endOfTurn);
                    trained.add(false);
                }
                case "assistant" -> {
                    pieces.add(prefix(config.assistantPrefix(), condition));
                    trained.add(false);
                    pieces.add(m.content() + endOfTurn);
                    trained.add(true);
                }
                case "system" -> {
                    pieces.add(m.content() + endOfTurn);
                    trained.add(false);
                }
                default -> throw new InputException("C-RLFT: unknown role '" + m.role() + "'");
            }
        }
    }
}
