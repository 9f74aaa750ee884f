package org.align4j.align;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.model.HfModels;
import org.align4j.model.io.Dtype;
import org.align4j.nn.LoraModel;

/**
 * The files of a policy being trained, the same for every family: a {@link LoraModel}'s adapter in PEFT's layout
 * ({@code adapter_config.json}, {@code adapter_model.safetensors}) beside the tokenizer files, or else the whole
 * model as Hugging Face writes it.
 */
public final class PolicyFiles {
    private static final String DROPOUT_MASKS = "lora_dropout_masks_drawn";
    private PolicyFiles() {
    }

    /** Writes {@code policy} into the existing folder {@code directory}; a whole model in {@code dtype}. */
    public static void write(CausalLM policy, HfModelWriter writer, Path directory, Dtype dtype) {
        if (policy instanceof LoraModel lora) {
            try {
                lora.write(directory);
            } catch (IOException e) {
                throw new UncheckedIOException(directory + ": " + e.getMessage(), e);
            }
            writer.copyTokenizerFiles(directory);
        } else {
            writer.write(policy, directory, dtype);
        }
    }

    /**
     * The policy's random state that a training checkpoint keeps ({@link org.align4j.train.TrainingTask#rngState}):
     * how many LoRA dropout masks it has drawn; empty for a whole model.
     */
    public static ObjectNode rngState(CausalLM policy) {
        ObjectNode state = JsonNodeFactory.instance.objectNode();
        if (policy instanceof LoraModel lora) {
            state.put(DROPOUT_MASKS, lora.dropoutMasksDrawn());
        }
        return state;
    }

    /** Restores what {@link #rngState} returned, so that a resumed run draws the masks an uninterrupted one would. */
    public static void restoreRngState(CausalLM policy, JsonNode state) {
        if (policy instanceof LoraModel lora) {
            lora.restoreDropoutMasksDrawn(state.path(DROPOUT_MASKS).asLong(0));
        }
    }

    /** Loads what {@link #write} wrote into {@code policy} (the adapter's weights, or every weight). */
    public static void load(CausalLM policy, Path directory) {
        if (policy instanceof LoraModel lora) {
            lora.loadAdapterWeights(directory);
        } else {
            HfModels.loadWeights(policy, directory);
        }
    }
}
