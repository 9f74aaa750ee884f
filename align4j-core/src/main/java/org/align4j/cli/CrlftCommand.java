package org.align4j.cli;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.align4j.align.sft.CrlftConfig;
import org.align4j.align.sft.CrlftTokenization;
import org.align4j.align.sft.SftConfig;
import org.align4j.align.sft.SftTrainer;
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

/**
 * {@code align4j crlft}: C-RLFT (OpenChat) — SFT on mixed-quality data whose examples carry a {@code condition} (the
 * data source), rendered into the role prefixes and weighting the loss by the condition's coarse reward.
 */
@Command(name = "crlft", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
        modelTransformer = TrainerCommand.Flags.class, description = {
        "Conditioned RL fine-tuning (OpenChat C-RLFT) on JSONL with a 'condition' field per example.",
        "Options: --condition-weights GPT4=1.0,GPT3=0.1, --user-prefix, --assistant-prefix, --end-of-turn, --max-length,",
        "and any HF TrainingArguments option, as flags or in --config (snake_case names)."})
final class CrlftCommand extends TrainerCommand {
    @Override
    Map<String, Object> trlDefaults() {
        return SftCommand.TRL_DEFAULTS;
    }

    /** HF's training arguments with TRL's SFT defaults, C-RLFT's options, and SFTConfig's max_length. */
    @Override
    Map<String, Object> optionDefaults() {
        Map<String, Object> defaults = super.optionDefaults();
        defaults.put("max_length", SftConfig.defaults().maxLength());
        return defaults;
    }

    @Override
    Record algorithmDefaults() {
        return CrlftConfig.defaults();
    }

    @Mixin
    private LoraOptions lora;
    @Mixin
    private TorchDtypeOption torchDtype;

    @Override
    public Integer call() throws IOException {
        CrlftConfig crlft = CrlftConfig.fromOptions(takeOptions(CrlftConfig.OPTION_NAMES), training.source());
        Integer maxLengthOption = SftConfig.fromOptions(takeOptions(Set.of("max_length")), training.source())
                .maxLength();
        int maxLength = maxLengthOption != null ? maxLengthOption : HfModels.readConfig(model).maxPositions();
        TrainingArguments args = trainingArguments();
        CausalLM lm = causalLmToTrain(lora, torchDtype, args, maxLength);
        Tokenizer tokenizer = tokenizer(lm.config().vocabSize());
        CrlftTokenization tokenization = new CrlftTokenization(tokenizer, crlft);
        List<TokenizedSequence> train = tokenize(tokenization, JsonlDataset.readConditioned(data), maxLength);
        List<TokenizedSequence> eval = evalData == null ? List.of()
                : tokenize(tokenization, JsonlDataset.readConditioned(evalData), maxLength);
        TrainOutput out = SftTrainer.forSequences(lm, HfModels.readGenerationConfig(model), tokenizer, tokenizerDirectory(),
                args, train, eval).savingConfig(CrlftConfig.FILE_NAME, crlft).reportTitle("C-RLFT").train();
        System.out.printf("trained %d steps, final training loss %.4f; run folder %s%n", out.globalStep(),
                out.trainingLoss(), output);
        return 0;
    }

    private static List<TokenizedSequence> tokenize(CrlftTokenization tokenization, List<ConditionedExample> examples,
                                                    int maxLength) {
        return examples.stream().map(e -> tokenization.tokenize(e, maxLength)).toList();
    }
}
