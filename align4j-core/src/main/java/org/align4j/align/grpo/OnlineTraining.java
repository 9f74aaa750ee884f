package org.align4j.align.grpo;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.align4j.InputException;
import org.align4j.align.Dropout;
import org.align4j.align.ReferencePolicy;
import org.align4j.data.DataException;
import org.align4j.data.Example;
import org.align4j.data.PromptTokenization;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.AlgorithmConfig;
import org.align4j.train.MetricCurve;
import org.align4j.train.TrainOutput;
import org.align4j.train.Trainer;
import org.align4j.train.TrainerCallback;
import org.align4j.train.TrainerState;
import org.align4j.train.TrainingArguments;

/**
 * What GRPO and RLOO share between their options and the shared {@link Trainer}: the prompts tokenized as TRL
 * prepares them, the reference (the given one, the LoRA policy with its adapters disabled, or a frozen copy of the
 * policy; none when β is 0), the {@link GrpoRollouts} and the {@link GrpoTask} on the trainer, which writes the run
 * folder as every trainer does, with {@value #REWARD_PNG}.
 */
final class OnlineTraining {
    /** The chart of the mean reward per logging window. */
    static final String REWARD_PNG = "reward.png";

    private final Trainer<GrpoSample> trainer;
    private final int prompts;

    /**
     * A run of {@code model}.
     *
     * @param name           the algorithm ("grpo", "rloo") for messages and the report
     * @param refModel       the reference model, or null (see the class comment)
     * @param recordOldLogps whether log π_θold is recorded at sampling time
     */
    OnlineTraining(String name, CausalLM model, CausalLM refModel, AlgorithmConfig config, String configFile,
                   RolloutOptions options, List<RewardFunction> rewardFunctions, PolicyLoss loss,
                   GrpoRollouts.AdvantageRule rule, boolean recordOldLogps, GrpoRollouts.Prompts prompts,
                   Tokenizer tokenizer, HfModelWriter writer) {
        TrainingArguments training = config.training();
        if (training.evalStrategy() != TrainingArguments.IntervalStrategy.NO || training.evalOnStart()) {
            throw new InputException(name + ": evaluation (eval_strategy, eval_on_start) is not supported by the "
                    + "online trainers yet; watch the training reward instead");
        }
        requireTokenizer(tokenizer);
        if (refModel != null && refModel.config().vocabSize() != model.config().vocabSize()) {
            throw new InputException("the reference model's vocabulary (" + refModel.config().vocabSize()
                    + ") differs from the model's (" + model.config().vocabSize() + ")");
        }
        Dropout.apply(model, options.disableDropout());
        requireFit(prompts, model, options.maxCompletionLength());
        this.prompts = prompts.ids().length;
        ReferencePolicy reference = options.beta() == 0 ? null : ReferencePolicy.of(model, refModel);
        List<Integer> eos = tokenizer.eosTokenId().isPresent() ? List.of(tokenizer.eosTokenId().getAsInt())
                : model.config().eosTokenIds();
        Integer pad = tokenizer.padTokenId().isPresent() ? tokenizer.padTokenId().getAsInt() : null;
        GrpoRollouts rollouts = new GrpoRollouts(model, reference, tokenizer, prompts, options, training,
                rewardFunctions, rule, recordOldLogps, eos, pad);
        GrpoTask task = new GrpoTask(model, loss, options.temperature(), writer);
        this.trainer = new Trainer<>(training, task, rollouts, List.of())
                .reportTitle(name.toUpperCase(Locale.ROOT))
                .plotting(REWARD_PNG, "Reward", "reward", List.of(new MetricCurve.Series("reward", "train")))
                .savingConfig(configFile, config.options());
    }

    /**
     * TRL's prompt-only examples tokenized as TRL prepares them ({@link PromptTokenization}), with their other
     * columns for the reward functions.
     */
    static GrpoRollouts.Prompts prompts(Tokenizer tokenizer, List<Example> examples) {
        requireTokenizer(tokenizer);
        List<PromptTokenization.Prompt> prompts = PromptTokenization.prepareAll(tokenizer, examples);
        int[][] ids = new int[prompts.size()][];
        List<String> texts = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        List<Map<String, JsonNode>> columns = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            PromptTokenization.Prompt p = prompts.get(i);
            ids[i] = p.ids();
            texts.add(p.text());
            sources.add(p.example().source());
            columns.add(p.example().columns());
        }
        return new GrpoRollouts.Prompts(ids, texts, columns, sources);
    }

    private static void requireTokenizer(Tokenizer tokenizer) {
        if (tokenizer == null) {
            throw new InputException("a tokenizer is needed: reward functions read the decoded completions");
        }
    }

    /** Checks that every prompt's ids and its longest completion fit {@code model}. */
    private static void requireFit(GrpoRollouts.Prompts prompts, CausalLM model, int maxCompletionLength) {
        int positions = model.config().maxPositions();
        int vocab = model.config().vocabSize();
        for (int i = 0; i < prompts.ids().length; i++) {
            int[] ids = prompts.ids()[i];
            String source = prompts.sources().get(i);
            if (ids.length + maxCompletionLength > positions) {
                throw new DataException(source + ": the prompt's " + ids.length + " tokens and "
                        + "max_completion_length " + maxCompletionLength + " exceed the model's " + positions
                        + " positions");
            }
            for (int id : ids) {
                if (id < 0 || id >= vocab) {
                    throw new DataException(source + ": token id " + id + " is outside the model's vocabulary of "
                            + vocab);
                }
            }
        }
    }

    /** Adds {@code callback} to the run's trainer. */
    void addCallback(TrainerCallback callback) {
        trainer.addCallback(callback);
    }

    /** The number of prompts. */
    int prompts() {
        return prompts;
    }

    /**
     * Trains and writes the run folder (with the resolved configuration as {@code configFile}).
     *
     * @throws IOException when the run folder cannot be written
     */
    TrainOutput train() throws IOException {
        return trainer.train();
    }

    /** The trainer's state (log history). */
    TrainerState state() {
        return trainer.state();
    }
}
