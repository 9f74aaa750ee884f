package org.align4j.align.cpo;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import org.align4j.InputException;
import org.align4j.align.Dropout;
import org.align4j.align.dpo.DpoTrainer;
import org.align4j.align.dpo.PreferencePairs;
import org.align4j.data.Example;
import org.align4j.data.PreferencePair;
import org.align4j.data.PreferenceTokenization;
import org.align4j.data.TruncationMode;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.AlgorithmConfig;
import org.align4j.train.MetricCurve;
import org.align4j.train.TrainOutput;
import org.align4j.train.Trainer;
import org.align4j.train.TrainerCallback;
import org.align4j.train.TrainerState;

/**
 * What CPO and ORPO share between their options and the shared {@link Trainer}: the pairs tokenized as DPO's are
 * ({@link PreferencePairs}: {@code max_length}, keep_start), the {@link ReferenceFreeTask}, and the run folder every
 * trainer writes, with DPO's reward charts.
 */
final class ReferenceFreeRun {
    private final Trainer<PreferencePair> trainer;
    private final int trainPairs;

    ReferenceFreeRun(String name, CausalLM model, AlgorithmConfig config, String configFile, Record options,
                     Integer maxLength, boolean disableDropout, PairLoss loss, List<Example> trainDataset,
                     List<Example> evalDataset, Tokenizer tokenizer, HfModelWriter writer) {
        Dropout.apply(model, disableDropout);
        PreferenceTokenization tokenization = new PreferenceTokenization(tokenizer, maxLength,
                TruncationMode.KEEP_START);
        List<PreferencePair> train = PreferencePairs.prepare(tokenization, trainDataset, model, maxLength, name,
                "train");
        List<PreferencePair> eval = evalDataset == null || evalDataset.isEmpty() ? List.of()
                : PreferencePairs.prepare(tokenization, evalDataset, model, maxLength, name, "eval");
        if (train.isEmpty()) {
            throw new InputException("no training pair is left after tokenization (max_length " + maxLength + ")");
        }
        this.trainPairs = train.size();
        int padId = PreferencePairs.padId(tokenizer, model, null);
        ReferenceFreeTask task = new ReferenceFreeTask(model, loss, padId, writer);
        this.trainer = new Trainer<>(config.training(), task, train, eval)
                .reportTitle(name.toUpperCase(Locale.ROOT))
                .savingConfig(configFile, options)
                .plotting(DpoTrainer.MARGINS_PNG, "Reward margins", "rewards/margins",
                        MetricCurve.trainAndEval("rewards/margins"))
                .plotting(DpoTrainer.ACCURACIES_PNG, "Reward accuracies", "rewards/accuracies",
                        MetricCurve.trainAndEval("rewards/accuracies"));
    }

    void addCallback(TrainerCallback callback) {
        trainer.addCallback(callback);
    }

    TrainOutput train() throws IOException {
        return trainer.train();
    }

    TrainerState state() {
        return trainer.state();
    }

    int trainPairs() {
        return trainPairs;
    }
}
