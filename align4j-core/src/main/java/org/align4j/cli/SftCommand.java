package org.align4j.cli;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.align4j.align.sft.SftConfig;
import org.align4j.align.sft.SftTrainer;
import org.align4j.data.JsonlDataset;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModels;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.TrainOutput;
import org.align4j.train.TrainingArguments;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code align4j sft}: supervised fine-tuning as TRL's {@code SFTTrainer} does it, with SFTConfig's option names
 * (kebab-case flags or snake_case in {@code --config}).
 */
@Command(name = "sft", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
        modelTransformer = TrainerCommand.Flags.class,
        description = {
        "Supervised fine-tuning on text, prompt-completion or conversational JSONL.",
        "Options: TRL's SFTConfig / HF TrainingArguments names as flags (--max-length 512) or in --config (max_length: 512)."})
final class SftCommand extends TrainerCommand {
    @Mixin
    private LoraOptions lora;
    @Mixin
    private TorchDtypeOption torchDtype;

    /** TRL SFTConfig's trainer defaults that differ from HF TrainingArguments'. */
    static final Map<String, Object> TRL_DEFAULTS = TrainingArguments.trlDefaults(2e-5);

    @Override
    Map<String, Object> trlDefaults() {
        return TRL_DEFAULTS;
    }

    @Override
    Record algorithmDefaults() {
        return SftConfig.defaults();
    }

    @Override
    public Integer call() throws IOException {
        SftConfig sft = SftConfig.fromOptions(takeOptions(SftConfig.OPTION_NAMES), training.source());
        TrainingArguments args = trainingArguments();
        CausalLM lm = causalLmToTrain(lora, torchDtype, args,
                sft.maxLength() != null ? sft.maxLength() : HfModels.readConfig(model).maxPositions());
        Tokenizer tokenizer = tokenizer(lm.config().vocabSize());
        TrainOutput out = SftTrainer.create(lm, HfModels.readGenerationConfig(model), tokenizer, tokenizerDirectory(), sft, args,
                JsonlDataset.read(data, sft.datasetTextField()),
                evalData == null ? List.of() : JsonlDataset.read(evalData, sft.datasetTextField())).train();
        System.out.printf("trained %d steps, final training loss %.4f; model, checkpoints and metrics in %s%n",
                out.globalStep(), out.trainingLoss(), output);
        return 0;
    }
}
