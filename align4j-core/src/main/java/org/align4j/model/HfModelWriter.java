package org.align4j.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.align4j.model.io.Dtype;

/**
 * Writes a trained model as a Hugging Face model folder that loads without its training run: config.json,
 * model.safetensors (in the model's dtype, {@link ModelConfig#dtype}: its input checkpoint's unless chosen
 * otherwise, or float32 for a checkpoint to resume from), the starting checkpoint's generation_config.json, and the
 * tokenizer's files copied as they were (as HF Trainer saves its {@code processing_class} beside the weights).
 *
 * @param generationConfig   the generation config to write (null: one with the config's bos/eos ids)
 * @param tokenizerDirectory the folder whose tokenizer files are copied, or null for none (pre-tokenized data)
 */
public record HfModelWriter(ObjectNode generationConfig, Path tokenizerDirectory) {
    /** The tokenizer files HF writes with {@code save_pretrained}, copied when present. */
    public static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "chat_template.jinja", "special_tokens_map.json", "added_tokens.json", "vocab.json", "merges.txt");

    /** A writer that keeps the generation config of {@code modelDirectory} and copies the tokenizer of {@code tokenizerDirectory}. */
    public static HfModelWriter of(Path modelDirectory, Path tokenizerDirectory) {
        return new HfModelWriter(HfModels.readGenerationConfig(modelDirectory), tokenizerDirectory);
    }

    /** Writes {@code model}, in its dtype, and the companion files into the existing folder {@code directory}. */
    public void write(CausalLM model, Path directory) {
        write(model, directory, model.config().dtype());
    }

    /** Writes {@code model}, its tensors in {@code dtype}, and the companion files into the existing {@code directory}. */
    public void write(CausalLM model, Path directory, Dtype dtype) {
        try {
            HfModels.write(model, directory, dtype, generationConfig, 0);
        } catch (IOException e) {
            throw new UncheckedIOException(directory + ": " + e.getMessage(), e);
        }
        copyTokenizerFiles(directory);
    }

    /** Copies the tokenizer's files (when there is a tokenizer) into the existing folder {@code directory}. */
    public void copyTokenizerFiles(Path directory) {
        if (tokenizerDirectory == null) {
            return;
        }
        try {
            for (String name : TOKENIZER_FILES) {
                Path file = tokenizerDirectory.resolve(name);
                if (Files.isRegularFile(file)) {
                    Files.copy(file, directory.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(directory + ": " + e.getMessage(), e);
        }
    }
}
