package org.align4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.align4j.InputException;
import org.align4j.OutputFile;
import org.align4j.align.reward.RewardScoring;
import org.align4j.data.Example;
import org.align4j.data.JsonlDataset;
import org.align4j.model.HfModels;
import org.align4j.model.ModelConfig;
import org.align4j.model.ModelException;
import org.align4j.model.RewardModel;
import org.align4j.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j reward}: scores each example of a JSONL file with a reward model ({@link RewardScoring}: a pair's
 * {@code r_chosen}, {@code r_rejected} and {@code chosen_wins}, another example's {@code reward}); the output is one
 * JSON object per example, in order, with its {@code source} (file:line).
 */
@Command(name = "reward", mixinStandardHelpOptions = true,
        description = "Score JSONL examples (preference pairs, text or prompt/completion) with a reward model.")
final class RewardCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", required = true, description = "reward model directory (*ForSequenceClassification)")
    Path model;
    @Option(names = "--data", required = true, description = "JSONL to score")
    Path data;
    @Option(names = "--tokenizer", description = "tokenizer directory (default: the model directory)")
    Path tokenizerDir;
    @Option(names = "--out", description = "write the scores as JSONL here (default: standard output)")
    Path out;
    @Option(names = "--batch-size", defaultValue = "8",
            description = "examples per forward pass, a pair's two sequences together (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Override
    public Integer call() throws IOException {
        if (batchSize <= 0) {
            throw new InputException("--batch-size must be positive, got " + batchSize);
        }
        List<Example> examples = JsonlDataset.read(data);
        ModelConfig config = HfModels.readConfig(model);
        if (!RewardModel.isSequenceClassification(config)) {
            throw new ModelException(model.resolve("config.json") + ": not a reward model (architectures "
                    + config.json().get("architectures") + "); train one with align4j rm");
        }
        RewardModel rm = RewardModel.load(model, 0);
        Tokenizer tokenizer = TrainerCommand.loadTokenizer(tokenizerDir != null ? tokenizerDir : model,
                rm.config().vocabSize());
        write(new RewardScoring(rm, tokenizer).score(examples, batchSize));
        return 0;
    }

    private void write(List<ObjectNode> rows) throws IOException {
        int pairs = 0;
        int wins = 0;
        StringBuilder lines = new StringBuilder();
        for (ObjectNode row : rows) {
            if (row.has("chosen_wins")) {
                pairs++;
                wins += row.get("chosen_wins").asBoolean() ? 1 : 0;
            }
            lines.append(JSON.writeValueAsString(row)).append('\n');
        }
        String summary = "scored " + rows.size() + " examples"
                + (pairs > 0 ? String.format("; chosen wins in %d of %d pairs (accuracy %.4f)", wins, pairs,
                (double) wins / pairs) : "");
        if (out == null) {
            System.out.print(lines);
            System.err.println(summary);
            return;
        }
        try {
            OutputFile.writeString(out, lines.toString());
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        System.out.println(summary + "; scores in " + out);
    }
}
