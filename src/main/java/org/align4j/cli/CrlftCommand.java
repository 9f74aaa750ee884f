package org.align4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.align4j.align.CrlftConfig;
import org.align4j.align.CrlftTokenization;
import org.align4j.data.ConditionedExample;
import org.align4j.data.JsonlDataset;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModels;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.TrainOutput;
import org.align4j.train.TrainingArguments;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/**
 * {@code align4j crlft}: C-RLFT (OpenChat) — SFT on mixed-quality data whose examples carry a {@code condition} (the
 * data source), rendered into the role prefixes and weighting the loss by the condition's coarse reward.
 */
@Command(name = "crlft", mixinStandardHelpOptions = true, description = {
        "Conditioned RL fine-tuning (OpenChat C-RLFT) on JSONL with a 'condition' field per example.",
        "Options: --condition-weights GPT4=1.0,GPT3=0.1, --user-prefix, --assistant-prefix, --end-of-turn, --max-length,",
        "and any HF TrainingArguments option as --kebab-case-name VALUE or in --config."})
final class CrlftCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "model directory (Hugging Face layout)")
    Path model;
    @Option(names = "--data", required = true, description = "training JSONL with a 'condition' per line")
    Path data;
    @Option(names = "--eval-data", description = "evaluation JSONL with a 'condition' per line")
    Path evalData;
    @Option(names = "--tokenizer", description = "tokenizer directory (default: the model directory)")
    Path tokenizerDir;
    @Option(names = "--output", required = true, description = "run folder (output_dir)")
    Path output;
    @Mixin
    TrainingOptions training;
    @Unmatched
    List<String> flags = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        Map<String, Object> options = training.merged(flags);
        CrlftConfig crlft = CrlftConfig.fromOptions(TrainingOptions.take(options, CrlftConfig.OPTION_NAMES), "options");
        Object maxLengthOption = options.remove("max_length");
        int maxLength = maxLengthOption == null ? 1024 : Integer.parseInt(String.valueOf(maxLengthOption));
        TrainingArguments args = training.trainingArguments(options,
                TrainingArguments.defaults().withOptions(SftCommand.TRL_DEFAULTS), output);
        Path tokDir = tokenizerDir != null ? tokenizerDir : model;
        Tokenizer tokenizer = Tokenizer.load(tokDir);
        CausalLM lm = HfModels.load(model);
        CrlftTokenization tokenization = new CrlftTokenization(tokenizer, crlft);
        List<TokenizedSequence> train = tokenize(tokenization, JsonlDataset.readConditioned(data), maxLength);
        List<TokenizedSequence> eval = evalData == null ? List.of()
                : tokenize(tokenization, JsonlDataset.readConditioned(evalData), maxLength);
        TrainOutput out = SftCommand.trainer(lm, HfModels.readGenerationConfig(model), tokenizer, tokDir, args, train,
                eval).train();
        System.out.printf("trained %d steps, final training loss %.4f; run folder %s%n", out.globalStep(),
                out.trainingLoss(), output);
        return 0;
    }

    private static List<TokenizedSequence> tokenize(CrlftTokenization tokenization, List<ConditionedExample> examples,
                                                    int maxLength) {
        return examples.stream().map(e -> tokenization.tokenize(e, maxLength)).toList();
    }
}
