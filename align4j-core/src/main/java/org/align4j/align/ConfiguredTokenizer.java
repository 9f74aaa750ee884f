package org.align4j.align;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.align4j.InputException;
import org.align4j.tokenizer.Tokenizer;

/**
 * A trainer's tokenizer after TRL's processing-class options ({@code eos_token}, {@code chat_template_path} of
 * {@code SFTConfig} and {@code RewardConfig}), and the folder whose tokenizer files the run saves: the original one,
 * or, when an option changed the tokenizer, the run folder itself, into which the changed files are written first (as
 * TRL saves its processing class with the model).
 *
 * @param tokenizer the tokenizer to train with
 * @param filesDir  the folder of the tokenizer files to copy into checkpoints and the final model (null: none)
 */
public record ConfiguredTokenizer(Tokenizer tokenizer, Path filesDir) {

    /**
     * {@code tokenizer} (loaded from {@code tokenizerDir}, null for none) with {@code eosToken} as its eos token and
     * the chat template of the Jinja file {@code chatTemplatePath} (each null to keep the tokenizer's); a changed
     * tokenizer's files are written into {@code runFolder}. Copying another tokenizer's template, which TRL does for a
     * tokenizer folder (adding its tokens and resizing the embeddings), is not supported.
     *
     * @throws InputException naming the option for a template that is not a readable .jinja or .j2 file, or an eos
     *                        token not in the vocabulary
     */
    public static ConfiguredTokenizer of(Tokenizer tokenizer, Path tokenizerDir, String eosToken,
                                         String chatTemplatePath, Path runFolder) {
        Tokenizer configured = tokenizer;
        if (eosToken != null) {
            configured = configured.withEosToken(eosToken);
        }
        if (chatTemplatePath != null) {
            Path path = Path.of(chatTemplatePath);
            String name = path.getFileName().toString();
            if (!Files.isRegularFile(path) || !(name.endsWith(".jinja") || name.endsWith(".j2"))) {
                throw new InputException("chat_template_path " + path + ": expected a .jinja or .j2 file (copying the"
                        + " template of another tokenizer, which adds its tokens and resizes the embeddings, is not"
                        + " supported; pass its chat_template.jinja)");
            }
            try {
                configured = configured.withChatTemplate(Files.readString(path));
            } catch (IOException e) {
                throw new InputException("chat_template_path " + path + ": " + e.getMessage(), e);
            }
        }
        if (configured == tokenizer || tokenizerDir == null) {
            return new ConfiguredTokenizer(configured, tokenizerDir);
        }
        try {
            Files.createDirectories(runFolder);
            configured.writeFiles(tokenizerDir, runFolder);
        } catch (IOException e) {
            throw new UncheckedIOException(runFolder + ": " + e.getMessage(), e);
        }
        return new ConfiguredTokenizer(configured, runFolder);
    }
}
