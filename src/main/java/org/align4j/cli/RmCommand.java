package org.align4j.cli;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.align4j.InputException;
import org.align4j.align.reward.RewardConfig;
import org.align4j.align.reward.RewardTask;
import org.align4j.data.Example;
import org.align4j.data.JsonlDataset;
import org.align4j.data.RewardTokenization;
import org.align4j.data.PreferencePair;
import org.align4j.data.SftTokenization;
import org.align4j.model.HfModels;
import org.align4j.model.ModelConfig;
import org.align4j.model.RewardModel;
import org.align4j.model.io.Dtype;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.TrainOutput;
import org.align4j.train.Trainer;
import org.align4j.train.TrainingArguments;
import picocli.CommandLine.Command;

/**
 * {@code align4j rm}: reward modelling as TRL's {@code RewardTrainer} does it, with RewardConfig's option names
 * (kebab-case flags or snake_case in {@code --config}). The model may be a causal LM (its lm_head is replaced by a
 * new scalar head, drawn with {@code seed}) or a reward model to train further; the run folder holds a
 * {@code *ForSequenceClassification} model.
 */
@Command(name = "rm", mixinStandardHelpOptions = true, description = {
        "Train a reward model on preference JSONL ({prompt?, chosen, rejected, margin?}, text or messages).",
        "Any TRL RewardConfig / HF TrainingArguments option may be given as --kebab-case-name VALUE or in --config."})
final class RmCommand extends TrainerCommand {

    /** TRL RewardConfig's trainer defaults that differ from HF TrainingArguments'. */
    static final Map<String, Object> TRL_DEFAULTS = Map.of("learning_rate", 1e-4, "logging_steps", 10);

    @Override
    public Integer call() throws IOException {
        RewardConfig config = RewardConfig.fromOptions(takeOptions(RewardConfig.OPTION_NAMES), "options");
        TrainingArguments args = trainingArguments(TRL_DEFAULTS);
        ModelConfig modelConfig = HfModels.readConfig(model);
        sizeRun(modelConfig, args, 2, config.maxLength() != null ? config.maxLength() : modelConfig.maxPositions());
        Dtype dtype = saveDtype.dtype();
        RewardModel read = RewardModel.load(model, args.seed());
        RewardModel loaded = dtype == null ? read : read.withDtype(dtype);
        Tokenizer tokenizer = tokenizer(loaded.config().vocabSize());
        RewardModel rm = loaded.withPadTokenId(padTokenId(tokenizer, config.padToken()));
        RewardTokenization tokenization = new RewardTokenization(new SftTokenization(tokenizer, true));
        List<PreferencePair> train = pairs(tokenization, JsonlDataset.read(data), config, "training");
        List<PreferencePair> eval = evalData == null ? List.of()
                : pairs(tokenization, JsonlDataset.read(evalData), config, "evaluation");
        RewardTask task = new RewardTask(rm, config.centerRewardsCoefficient(), tokenizerDirectory());
        TrainOutput out = new Trainer<>(args, task, train, eval).train();
        System.out.printf("trained %d steps, final training loss %.4f; reward model, checkpoints and metrics in %s%n",
                out.globalStep(), out.trainingLoss(), output);
        return 0;
    }

    /** The examples as TRL's reward trainer prepares them, without the pairs longer than max_length (counted). */
    private static List<PreferencePair> pairs(RewardTokenization tokenization, List<Example> examples, RewardConfig config,
                                            String split) {
        List<PreferencePair> all = examples.stream().map(tokenization::wholeTexts).toList();
        RewardTokenization.Filtered filtered = RewardTokenization.withinMaxLength(all, config.maxLength());
        if (filtered.dropped() > 0) {
            System.err.printf("align4j rm: dropped %d of %d %s pairs longer than max_length %d tokens%n",
                    filtered.dropped(), all.size(), split, config.maxLength());
        }
        if (filtered.kept().isEmpty()) {
            throw new InputException("no " + split + " pair fits max_length " + config.maxLength()
                    + " tokens");
        }
        return filtered.kept();
    }

    /**
     * TRL's pad token: {@code pad_token} if given (it must be in the vocabulary), else the tokenizer's pad token,
     * else its eos token.
     */
    static int padTokenId(Tokenizer tokenizer, String padToken) {
        if (padToken != null) {
            return tokenizer.tokenId(padToken).orElseThrow(() -> new InputException(
                    "pad_token '" + padToken + "' is not in the tokenizer's vocabulary"));
        }
        return tokenizer.padTokenId().orElseGet(() -> tokenizer.eosTokenId().orElseThrow(() ->
                new InputException("the tokenizer has neither a pad token nor an eos token; set pad_token")));
    }

}
