package org.align4j.align.grpo;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * A reward function of the online trainers (TRL's {@code reward_funcs}): it rates each sampled completion, or
 * abstains ({@code NaN}, TRL's {@code None}) where it does not apply; a completion every function abstains on gets no
 * advantage. Built-ins are in {@link RewardFunctions}; any Java code can be one.
 */
public interface RewardFunction {

    /**
     * One completion to rate.
     *
     * @param prompt        the prompt as the policy saw it (a conversation rendered with the chat template)
     * @param completion    the sampled completion, decoded without special tokens
     * @param promptIds     the prompt's token ids
     * @param completionIds the completion's token ids (with its eos token when it has one)
     * @param columns       the dataset line's other fields (e.g. a reference answer)
     */
    record Completion(String prompt, String completion, int[] promptIds, int[] completionIds,
                      Map<String, JsonNode> columns) {
    }

    /** Rates one completion: a score, or empty where the function does not apply. */
    @FunctionalInterface
    interface PerCompletion {
        /** The score of {@code completion} of {@code prompt}, or empty. */
        OptionalDouble score(String prompt, String completion, Map<String, JsonNode> columns);
    }

    /** Rates a batch of completions at once: one reward per completion, NaN where it abstains. */
    @FunctionalInterface
    interface BatchScorer {
        /** The rewards of {@code completions}, in order. */
        double[] rewards(List<Completion> completions);
    }

    /** The name metrics use: {@code rewards/<name>/mean}. */
    String name();

    /** One reward per completion, in order; {@code NaN} where the function abstains. */
    double[] rewards(List<Completion> completions);

    /** A reward function named {@code name} that rates completions one at a time. */
    static RewardFunction of(String name, PerCompletion function) {
        return ofBatch(name, completions -> completions.stream().mapToDouble(c -> function.score(c.prompt(),
                c.completion(), c.columns()).orElse(Double.NaN)).toArray());
    }

    /** A reward function named {@code name} that rates a batch of completions at once (a reward model, say). */
    static RewardFunction ofBatch(String name, BatchScorer scorer) {
        return new RewardFunction() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public double[] rewards(List<Completion> completions) {
                return scorer.rewards(completions);
            }
        };
    }
}
