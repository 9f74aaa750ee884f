package org.align4j.data.panels;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.align4j.data.Example;
import org.align4j.data.Text;

/**
 * A prompt-completion training example of a {@link PanelTask}.
 *
 * @param task       the task
 * @param source     {@code story-id:paragraph} of the paragraph the panel conditions
 * @param condition  the data source (C-RLFT's condition, e.g. the builder that made the panel)
 * @param prompt     the prompt
 * @param completion the completion
 */
public record PanelExample(PanelTask task, String source, String condition, String prompt, String completion) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The JSONL row {@code {"prompt", "completion", "condition", "task", "source"}}, which the {@code sft} and
     * {@code crlft} commands read as prompt-completion data (C-RLFT with its condition).
     */
    public ObjectNode toJson() {
        return JSON.createObjectNode().put("prompt", prompt).put("completion", completion).put("condition", condition)
                .put("task", task.jsonName()).put("source", source);
    }

    /** The example as the trainers take it. */
    public Example.PromptCompletion toExample() {
        return new Example.PromptCompletion(source, new Text.Plain(prompt), new Text.Plain(completion));
    }
}
