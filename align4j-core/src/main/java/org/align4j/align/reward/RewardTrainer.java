package org.align4j.align.reward;

import java.nio.file.Path;
import java.util.List;
import org.align4j.InputException;
import org.align4j.align.ConfiguredTokenizer;
import org.align4j.align.Dropout;
import org.align4j.data.Example;
import org.align4j.data.PreferencePair;
import org.align4j.data.RewardTokenization;
import org.align4j.data.SftTokenization;
import org.align4j.model.RewardModel;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.Trainer;
import org.align4j.train.TrainingArguments;

/**
 * The reward-modelling entry point, as TRL's {@code RewardTrainer}: the model padded with TRL's padding id
 * ({@link Tokenizer#paddingId}, {@code pad_token} first), each side of a preference example tokenized as one whole
 * text ({@link RewardTokenization#wholeTexts}), the pairs longer than {@code max_length} dropped (and counted), and
 * the shared {@link Trainer} running the {@link RewardTask}.
 */
public final class RewardTrainer {
    private RewardTrainer() {
    }

    /**
     * A trainer of {@code model} on the preference examples {@code train} (evaluating on {@code eval}).
     *
     * @param tokenizerDir the tokenizer files copied into the run folder and checkpoints (null for none)
     * @throws InputException when no pair of a split fits {@code max_length}
     */
    public static Trainer<PreferencePair> create(RewardModel model, Tokenizer tokenizer, Path tokenizerDir,
                                                 RewardConfig config, TrainingArguments args, List<Example> train,
                                                 List<Example> eval) {
        ConfiguredTokenizer processing = ConfiguredTokenizer.of(tokenizer, tokenizerDir, config.eosToken(),
                config.chatTemplatePath(), args.outputPath());
        RewardTokenization tokenization = new RewardTokenization(new SftTokenization(processing.tokenizer(), true));
        List<PreferencePair> trainPairs = pairs(tokenization, train, config, "training");
        List<PreferencePair> evalPairs = eval.isEmpty() ? List.of() : pairs(tokenization, eval, config, "evaluation");
        RewardModel padded = model.withPadTokenId(processing.tokenizer().paddingId(config.padToken()));
        return forPairs(padded, processing.filesDir(), config, args, trainPairs, evalPairs);
    }

    /** A trainer of {@code model} (which has a pad token id) on pairs already tokenized. */
    public static Trainer<PreferencePair> forPairs(RewardModel model, Path tokenizerDir, RewardConfig config,
                                                   TrainingArguments args, List<PreferencePair> train,
                                                   List<PreferencePair> eval) {
        Dropout.apply(model.backbone(), config.disableDropout());
        return new Trainer<>(args, new RewardTask(model, config.centerRewardsCoefficient(), tokenizerDir), train,
                eval).savingConfig(RewardConfig.FILE_NAME, config).reportTitle("Reward modelling");
    }

    /** The examples as TRL's reward trainer prepares them, without the pairs longer than max_length (counted). */
    private static List<PreferencePair> pairs(RewardTokenization tokenization, List<Example> examples,
                                              RewardConfig config, String split) {
        List<PreferencePair> all = examples.stream().map(tokenization::wholeTexts).toList();
        RewardTokenization.Filtered filtered = RewardTokenization.withinMaxLength(all, config.maxLength());
        if (filtered.dropped() > 0) {
            System.err.printf("reward: dropped %d of %d %s pairs longer than max_length %d tokens%n",
                    filtered.dropped(), all.size(), split, config.maxLength());
        }
        if (filtered.kept().isEmpty()) {
            throw new InputException("no " + split + " pair fits max_length " + config.maxLength() + " tokens");
        }
        return filtered.kept();
    }
}
