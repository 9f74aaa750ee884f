package org.align4j.cli;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.align4j.align.reward.RewardConfig;
import org.align4j.align.reward.RewardTrainer;
import org.align4j.data.JsonlDataset;
import org.align4j.model.HfModels;
import org.align4j.model.ModelConfig;
import org.align4j.model.RewardModel;
import org.align4j.model.io.Dtype;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.TrainOutput;
import org.align4j.train.TrainingArguments;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code align4j rm}: reward modelling as TRL's {@code RewardTrainer} does it, with RewardConfig's option names
 * (kebab-case flags or snake_case in {@code --config}). The model may be a causal LM (its lm_head is replaced by a
 * new scalar head, drawn with {@code seed}) or a reward model to train further; the run folder holds a
 * {@code *ForSequenceClassification} model.
 */
@Command(name = "rm", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
        modelTransformer = TrainerCommand.Flags.class,
        description = {
        "Train a reward model on preference JSONL ({prompt?, chosen, rejected, margin?}, text or messages).",
        "Options: TRL's RewardConfig / HF TrainingArguments names as flags (--max-length 512) or in --config."})
final class RmCommand extends TrainerCommand {
    @Mixin
    private LoraOptions lora;

    /** TRL RewardConfig's trainer defaults that differ from HF TrainingArguments'. */
    static final Map<String, Object> TRL_DEFAULTS = TrainingArguments.trlDefaults(1e-4);

    @Override
    Map<String, Object> trlDefaults() {
        return TRL_DEFAULTS;
    }

    @Override
    Record algorithmDefaults() {
        return RewardConfig.defaults();
    }

    @Override
    public Integer call() throws IOException {
        RewardConfig config = RewardConfig.fromOptions(takeOptions(RewardConfig.OPTION_NAMES), training.source());
        TrainingArguments args = trainingArguments();
        ModelConfig modelConfig = HfModels.readConfig(model);
        int maxLength = config.maxLength() != null ? config.maxLength() : modelConfig.maxPositions();
        sizeRun(modelConfig, args, 2, maxLength);
        Dtype dtype = saveDtype.dtype();
        RewardModel read = RewardModel.load(model, args.seed());
        RewardModel loaded = dtype == null ? read : read.withDtype(dtype);
        if (lora.enabled()) {
            loaded = lora.adapt(loaded, model.toString(), args.seed());
            sizeRun(modelConfig, args, trainableCount(loaded.parameters()), 2, maxLength);
        }
        Tokenizer tokenizer = tokenizer(loaded.config().vocabSize());
        TrainOutput out = RewardTrainer.create(loaded, tokenizer, tokenizerDirectory(), config, args,
                JsonlDataset.read(data), evalData == null ? List.of() : JsonlDataset.read(evalData)).train();
        System.out.printf("trained %d steps, final training loss %.4f; reward model, checkpoints and metrics in %s%n",
                out.globalStep(), out.trainingLoss(), output);
        return 0;
    }
}
