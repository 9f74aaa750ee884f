package org.align4j.align.cpo;

import java.io.IOException;
import java.util.List;
import org.align4j.data.Example;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.TrainOutput;
import org.align4j.train.TrainerCallback;
import org.align4j.train.TrainerState;

/**
 * TRL's {@code CPOTrainer}: Contrastive Preference Optimization and SimPO ({@link CpoLoss}) on the shared trainer, one
 * model in memory (no reference), preference data as DPO's. The run folder is what every trainer writes, with
 * {@value CpoConfig#FILE_NAME} and DPO's reward charts.
 */
public final class CpoTrainer {
    private final ReferenceFreeRun run;

    /**
     * What a run did.
     *
     * @param output     the trainer's summary
     * @param state      its final state (log history)
     * @param trainPairs training pairs used (after tokenization)
     */
    public record Result(TrainOutput output, TrainerState state, int trainPairs) {
    }

    /**
     * A trainer of {@code model}.
     *
     * @param evalDataset     evaluation examples (may be empty unless {@code eval_strategy} asks for evaluation)
     * @param processingClass the tokenizer; null when every example is pre-tokenized
     * @param writer          how checkpoints and the final model are written
     */
    public CpoTrainer(CausalLM model, CpoConfig args, List<Example> trainDataset, List<Example> evalDataset,
                      Tokenizer processingClass, HfModelWriter writer) {
        this.run = new ReferenceFreeRun("cpo", model, args, CpoConfig.FILE_NAME, args.options(),
                args.options().maxLength(), args.options().disableDropout(), args.loss(), trainDataset, evalDataset,
                processingClass, writer);
    }

    /** Adds {@code callback} to the run's trainer; returns this trainer. */
    public CpoTrainer addCallback(TrainerCallback callback) {
        run.addCallback(callback);
        return this;
    }

    /**
     * Trains (resuming when {@code resume_from_checkpoint} says so) and writes the run folder.
     *
     * @throws IOException when the run folder cannot be written
     */
    public Result train() throws IOException {
        TrainOutput output = run.train();
        return new Result(output, run.state(), run.trainPairs());
    }
}
