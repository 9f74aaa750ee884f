package org.align4j.align.sft;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.align4j.align.ConfiguredTokenizer;
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
        ConfiguredTokenizer processing = ConfiguredTokenizer.of(tokenizer, tokenizerDir, sft.eosToken(),
                sft.chatTemplatePath(), args.outputPath());
        Tokenizer configured = processing.tokenizer();
        SftTokenization tokenization = new SftTokenization(configured, sft.trainsOnCompletionsOnly(),
                sft.assistantOnlyLoss());
        List<Example> trainExamples = train;
        if (sft.shuffleDataset()) {
            trainExamples = new ArrayList<>(train);
            Collections.shuffle(trainExamples, new Random(args.seed()));
        }
        List<TokenizedSequence> trainSequences = tokenization.tokenizeAll(trainExamples,
                sft.packing() ? null : sft.maxLength(), sft.truncationMode());
        List<TokenizedSequence> evalSequences = tokenization.tokenizeAll(eval,
                sft.packsEvaluation() ? null : sft.maxLength(), sft.truncationMode());
        if (sft.packing()) {
            trainSequences = SftTokenization.pack(trainSequences, sft.maxLength());
        }
        if (sft.packsEvaluation() && !evalSequences.isEmpty()) {
            evalSequences = SftTokenization.pack(evalSequences, sft.maxLength());
        }
        return forSequences(model, generationConfig, configured, processing.filesDir(), args, trainSequences,
                evalSequences, sft.padToken())
                .savingConfig(SftConfig.FILE_NAME, sft).reportTitle("SFT");
    }

    /** A trainer of {@code model} on sequences already tokenized (plain, or weighted as C-RLFT's). */
    public static Trainer<TokenizedSequence> forSequences(CausalLM model, ObjectNode generationConfig,
                                                          Tokenizer tokenizer, Path tokenizerDir,
                                                          TrainingArguments args, List<TokenizedSequence> train,
                                                          List<TokenizedSequence> eval) {
        return forSequences(model, generationConfig, tokenizer, tokenizerDir, args, train, eval, null);
    }

    /** As {@link #forSequences(CausalLM, ObjectNode, Tokenizer, Path, TrainingArguments, List, List)}, padding with
     * {@code padToken} (TRL's {@code pad_token}; null: the tokenizer's pad token, else its eos token). */
    public static Trainer<TokenizedSequence> forSequences(CausalLM model, ObjectNode generationConfig,
                                                          Tokenizer tokenizer, Path tokenizerDir,
                                                          TrainingArguments args, List<TokenizedSequence> train,
                                                          List<TokenizedSequence> eval, String padToken) {
        SftTask task = new SftTask(model, tokenizer.paddingId(padToken), generationConfig, tokenizerDir);
        return new Trainer<>(args, task, train, eval);
    }
}
