package org.align4j.align.sft;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
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
        SftTokenization tokenization = new SftTokenization(tokenizer, sft.completionOnlyLoss());
        int truncateTo = sft.packing() ? 0 : sft.maxLength();
        List<TokenizedSequence> trainSequences = tokenization.tokenizeAll(train, truncateTo);
        List<TokenizedSequence> evalSequences = tokenization.tokenizeAll(eval, truncateTo);
        if (sft.packing()) {
            trainSequences = SftTokenization.pack(trainSequences, sft.maxLength());
            evalSequences = evalSequences.isEmpty() ? evalSequences
                    : SftTokenization.pack(evalSequences, sft.maxLength());
        }
        return forSequences(model, generationConfig, tokenizer, tokenizerDir, args, trainSequences, evalSequences)
                .savingConfig(SftConfig.FILE_NAME, sft);
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
