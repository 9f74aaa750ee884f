package org.align4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One training example in one of TRL's dataset formats
 * (https://huggingface.co/docs/trl/dataset_formats). Fields may be plain strings or message lists.
 */
public sealed interface Example {

    /** The file and line the example came from, for error messages (e.g. {@code train.jsonl:12}). */
    String source();

    /** Language modelling: {@code {"text"}} or conversational {@code {"messages"}}. */
    record LanguageModeling(String source, Text text) implements Example {
    }

    /** Prompt-completion: {@code {"prompt", "completion"}} (completion-only loss). */
    record PromptCompletion(String source, Text prompt, Text completion) implements Example {
    }

    /**
     * Prompt only: {@code {"prompt"}} (for sampling stages such as PPO, GRPO, DICE, Best-of-N), with the line's
     * other fields as {@code columns} (TRL hands them to reward functions, e.g. a reference answer).
     */
    record PromptOnly(String source, Text prompt, Map<String, JsonNode> columns) implements Example {
        /** Copies the columns (the JSON values are deep-copied, so the example cannot change). */
        public PromptOnly {
            Map<String, JsonNode> copy = new LinkedHashMap<>();
            columns.forEach((name, value) -> copy.put(name, value.deepCopy()));
            columns = Collections.unmodifiableMap(copy);
        }

        /** A prompt without other columns. */
        public PromptOnly(String source, Text prompt) {
            this(source, prompt, Map.of());
        }
    }

    /**
     * Preference: {@code {"prompt", "chosen", "rejected"}}; with an implicit prompt ({@code {"chosen",
     * "rejected"}}) the prompt is null and is derived later as the longest common prefix. The optional
     * {@code "margin"} is TRL's reward-modelling margin: how much the chosen reward should exceed the rejected one
     * (null when absent).
     */
    record Preference(String source, Text prompt, Text chosen, Text rejected, Double margin) implements Example {
        /** A preference without a margin. */
        public Preference(String source, Text prompt, Text chosen, Text rejected) {
            this(source, prompt, chosen, rejected, null);
        }
    }

    /**
     * Unpaired preference: {@code {"prompt", "completion", "label"}}, the label saying whether the completion is
     * desirable (KTO's data).
     */
    record UnpairedPreference(String source, Text prompt, Text completion, boolean label) implements Example {
    }

    /** Pre-tokenized unpaired preference: {@code {"prompt_ids", "completion_ids", "label"}} (KTO's data). */
    record TokenizedUnpairedPreference(String source, int[] promptIds, int[] completionIds, boolean label)
            implements Example {
    }

    /** Pre-tokenized preference: {@code {"prompt_ids", "chosen_ids", "rejected_ids"}}. */
    record TokenizedPreference(String source, int[] promptIds, int[] chosenIds, int[] rejectedIds) implements Example {
    }
}
