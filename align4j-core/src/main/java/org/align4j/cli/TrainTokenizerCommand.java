package org.align4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.align4j.InputException;
import org.align4j.data.BrownCorpus;
import org.align4j.data.Example;
import org.align4j.data.JsonlDataset;
import org.align4j.data.Text;
import org.align4j.tokenizer.BpeTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code align4j train-tokenizer}: learns a byte-level BPE tokenizer and writes it in the Hugging Face layout. */
@Command(name = "train-tokenizer", mixinStandardHelpOptions = true,
        description = "Train a GPT-2-style byte-level BPE tokenizer (tokenizer.json + tokenizer_config.json).")
final class TrainTokenizerCommand implements Callable<Integer> {
    @Option(names = "--input", description = "JSONL of {\"text\"} lines (default: the bundled Brown fiction)")
    Path input;
    @Option(names = "--merges", defaultValue = "4000", description = "merges to learn (default ${DEFAULT-VALUE})")
    int merges;
    @Option(names = "--special-token", defaultValue = "<|endoftext|>",
            description = "the bos/eos/pad token (default ${DEFAULT-VALUE})")
    String specialToken;
    @Option(names = "--model-max-length", defaultValue = "1024", description = "model_max_length (default ${DEFAULT-VALUE})")
    int modelMaxLength;
    @Option(names = "--output", required = true, description = "output directory")
    Path output;

    @Override
    public Integer call() throws IOException {
        List<String> texts = input == null ? BrownCorpus.paragraphs() : JsonlDataset.read(input).stream()
                .map(TrainTokenizerCommand::plainText).toList();
        BpeTrainer trainer = new BpeTrainer(merges, specialToken);
        BpeTrainer.Result result = trainer.train(texts);
        trainer.write(result, output, modelMaxLength);
        System.out.printf("learned %d merges, vocabulary %d + 1 special token; wrote %s%n", result.merges().size(),
                result.vocabulary().size(), output);
        return 0;
    }

    private static String plainText(Example e) {
        if (e instanceof Example.LanguageModeling lm && lm.text() instanceof Text.Plain p) {
            return p.text();
        }
        throw new InputException(e.source() + ": train-tokenizer needs {\"text\": \"...\"} lines");
    }
}
