package org.align4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.align4j.InputException;
import org.align4j.OutputFile;
import org.align4j.data.Example;
import org.align4j.data.JsonlDataset;
import org.align4j.data.RewardTokenization;
import org.align4j.data.PreferencePair;
import org.align4j.data.SftTokenization;
import org.align4j.model.HfModels;
import org.align4j.model.ModelConfig;
import org.align4j.model.ModelException;
import org.align4j.model.RewardModel;
import org.align4j.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j reward}: scores each example of a JSONL file with a reward model. A preference pair gets
 * {@code r_chosen}, {@code r_rejected} and {@code chosen_wins} (r_chosen > r_rejected); a {@code text} /
 * {@code messages} or {@code prompt}/{@code completion} example gets one {@code reward}. Sequences are tokenized as
 * {@code rm} tokenizes them for training (prompt + response as one text, EOS appended) and scored in right-padded
 * batches; the output is one JSON object per example, in order, with its {@code source} (file:line).
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
            description = "sequences per forward pass (default: ${DEFAULT-VALUE})")
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
        if (rm.padTokenId().isEmpty()) {
            rm = rm.withPadTokenId(tokenizer.paddingId(null));
        }
        RewardTokenization tokenization = new RewardTokenization(new SftTokenization(tokenizer, true));
        List<int[]> sequences = new ArrayList<>();
        for (Example e : examples) {
            if (e instanceof Example.Preference || e instanceof Example.TokenizedPreference) {
                PreferencePair pair = tokenization.wholeTexts(e);
                sequences.add(pair.chosen().ids());
                sequences.add(pair.rejected().ids());
            } else {
                sequences.add(tokenization.wholeText(e).ids());
            }
        }
        double[] rewards = new double[sequences.size()];
        for (int from = 0; from < sequences.size(); from += batchSize) {
            int to = Math.min(sequences.size(), from + batchSize);
            System.arraycopy(rm.score(sequences.subList(from, to)), 0, rewards, from, to - from);
        }
        write(examples, rewards);
        return 0;
    }

    private void write(List<Example> examples, double[] rewards) throws IOException {
        int pairs = 0;
        int wins = 0;
        int next = 0;
        StringBuilder lines = new StringBuilder();
        for (Example e : examples) {
            ObjectNode row = JSON.createObjectNode().put("source", e.source());
            if (e instanceof Example.Preference || e instanceof Example.TokenizedPreference) {
                double chosen = rewards[next++];
                double rejected = rewards[next++];
                boolean chosenWins = chosen > rejected;
                row.put("r_chosen", chosen).put("r_rejected", rejected).put("chosen_wins", chosenWins);
                pairs++;
                wins += chosenWins ? 1 : 0;
            } else {
                row.put("reward", rewards[next++]);
            }
            lines.append(JSON.writeValueAsString(row)).append('\n');
        }
        String summary = "scored " + examples.size() + " examples"
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
