package org.align4j.align.sft;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.align4j.InputException;
import org.align4j.data.Example;
import org.align4j.data.SftTokenization;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.CausalLM;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.Trainer;
import org.align4j.train.TrainingArguments;

/**
 * The SFT entry point, as TRL's {@code SFTTrainer}: examples tokenized by {@link SftTokenization} (completion-only
 * loss, truncation to {@code max_length} or packing into rows of it), padded with TRL's padding id
 * ({@link Tokenizer#paddingId}), and the shared {@link Trainer} running the {@link SftTask}. The CLI's {@code sft},
 * {@code crlft} and {@code quantize --qat}, the demo and the experiments all build their SFT runs here.
 */
public final class SftTrainer {
    private SftTrainer() {
    }

    /**
     * A trainer of {@code model} on {@code train} (evaluating on {@code eval}) as {@code sft} says.
     *
     * @param generationConfig the generation config saved with the model (null for none)
     * @param tokenizerDir     the tokenizer files copied into the run folder and checkpoints (null for none)
     */
    public static Trainer<TokenizedSequence> create(CausalLM model, ObjectNode generationConfig, Tokenizer tokenizer,
                                                    Path tokenizerDir, SftConfig sft, TrainingArguments args,
                                                    List<Example> train, List<Example> eval) {
        Tokenizer configured = configured(tokenizer, sft);
        Path savedTokenizer = tokenizerDir;
        if (configured != tokenizer && tokenizerDir != null) {
            // the run folder's tokenizer files are the configured tokenizer's, as TRL saves its processing class
            savedTokenizer = args.outputPath();
            try {
                Files.createDirectories(savedTokenizer);
                configured.writeFiles(tokenizerDir, savedTokenizer);
            } catch (IOException e) {
                throw new UncheckedIOException(savedTokenizer + ": " + e.getMessage(), e);
            }
        }
        SftTokenization tokenization = new SftTokenization(configured, sft.completionOnlyLoss());
        int truncateTo = sft.packing() ? 0 : sft.maxLength();
        List<TokenizedSequence> trainSequences = tokenization.tokenizeAll(train, truncateTo);
        List<TokenizedSequence> evalSequences = tokenization.tokenizeAll(eval, truncateTo);
        if (sft.packing()) {
            trainSequences = SftTokenization.pack(trainSequences, sft.maxLength());
            evalSequences = evalSequences.isEmpty() ? evalSequences
                    : SftTokenization.pack(evalSequences, sft.maxLength());
        }
        return forSequences(model, generationConfig, configured, savedTokenizer, args, trainSequences, evalSequences)
                .savingConfig(SftConfig.FILE_NAME, sft).reportTitle("SFT");
    }

    /**
     * {@code tokenizer} with SFTConfig's {@code eos_token} and the template of {@code chat_template_path} (a Jinja
     * file; TRL's cloning of another tokenizer's template, which adds tokens and resizes the embeddings, is not
     * supported).
     *
     * @throws InputException naming the option for a template that cannot be read or an eos token not in the vocabulary
     */
    static Tokenizer configured(Tokenizer tokenizer, SftConfig sft) {
        Tokenizer configured = tokenizer;
        if (sft.eosToken() != null) {
            configured = configured.withEosToken(sft.eosToken());
        }
        if (sft.chatTemplatePath() != null) {
            Path path = Path.of(sft.chatTemplatePath());
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
        return configured;
    }

    /** A trainer of {@code model} on sequences already tokenized (plain, or weighted as C-RLFT's). */
    public static Trainer<TokenizedSequence> forSequences(CausalLM model, ObjectNode generationConfig,
                                                          Tokenizer tokenizer, Path tokenizerDir,
                                                          TrainingArguments args, List<TokenizedSequence> train,
                                                          List<TokenizedSequence> eval) {
        SftTask task = new SftTask(model, tokenizer.paddingId(null), generationConfig, tokenizerDir);
        return new Trainer<>(args, task, train, eval);
    }
}
