package org.align4j.align.sft;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.align4j.InputException;
import org.align4j.train.OptionRecords;

/**
 * Options of C-RLFT (conditioned reinforcement learning fine-tuning; Wang et al. 2023, "OpenChat: Advancing
 * Open-source Language Models with Mixed-Quality Data", arXiv 2309.11235, §3): each data source is a condition with a
 * coarse reward used as the loss weight of its examples, and the condition is rendered into the role prefixes of the
 * conversation template (OpenChat: "GPT4 Correct User:").
 *
 * @param conditionWeights condition_weights: coarse reward of each condition (default GPT4 1.0, GPT3 0.1, as in the
 *                         paper)
 * @param userPrefix       user_prefix: text before a user turn; {condition} is replaced by the condition
 * @param assistantPrefix  assistant_prefix: text before an assistant turn
 * @param endOfTurn        end_of_turn: text closing every turn (null: the tokenizer's EOS token)
 */
public record CrlftConfig(Map<String, Double> conditionWeights, String userPrefix, String assistantPrefix,
                          String endOfTurn) {
    /** The file a run saves its resolved options to (the training options, then these). */
    public static final String FILE_NAME = "crlft_config.json";
    /** The option names, snake_case. */
    public static final Set<String> OPTION_NAMES = OptionRecords.names(CrlftConfig.class);

    /** Validates the weights. */
    public CrlftConfig {
        if (conditionWeights.isEmpty()) {
            throw new InputException("condition_weights is empty");
        }
        conditionWeights.forEach((condition, w) -> {
            if (!(w > 0 && Double.isFinite(w))) {
                throw new InputException("condition_weights: weight of '" + condition
                        + "' must be positive, got " + w);
            }
        });
        conditionWeights = Map.copyOf(conditionWeights);
    }

    /** The paper's defaults. */
    public static CrlftConfig defaults() {
        return new CrlftConfig(Map.of("GPT4", 1.0, "GPT3", 0.1), "{condition} User: ", "{condition} Assistant: ", null);
    }

    /**
     * {@code defaults()} with the given options, read as every configuration record is ({@link OptionRecords});
     * condition_weights is a mapping, or on the command line a string like {@code "GPT4=1.0,GPT3=0.1"}.
     *
     * @throws InputException naming {@code source} and the option for an unknown name, a wrong type or a bad value
     */
    public static CrlftConfig fromOptions(Map<String, ?> options, String source) {
        Map<String, Object> read = new LinkedHashMap<>(options);
        if (read.get("condition_weights") instanceof String pairs) {
            Map<String, String> weights = new LinkedHashMap<>();
            for (String pair : pairs.split(",")) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new InputException(source + ": condition_weights entry '" + pair
                            + "' is not CONDITION=WEIGHT");
                }
                weights.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
            }
            read.put("condition_weights", weights);
        }
        return OptionRecords.merge(defaults(), read, CrlftConfig.class, source);
    }

    /** The weight of {@code condition}; an unknown condition is an error naming the known ones. */
    public double weightOf(String condition, String source) {
        Double w = conditionWeights.get(condition);
        if (w == null) {
            throw new InputException(source + ": condition '" + condition + "' has no weight (known: "
                    + String.join(", ", new java.util.TreeSet<>(conditionWeights.keySet())) + ")");
        }
        return w;
    }
}
