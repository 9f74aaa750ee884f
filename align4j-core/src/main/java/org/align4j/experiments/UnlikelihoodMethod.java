package org.align4j.experiments;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import org.align4j.align.sft.UnlikelihoodTask;
import org.align4j.data.PreferencePair;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.CausalLM;
import org.align4j.train.Trainer;
import org.align4j.train.TrainingArguments;

/**
 * Unlikelihood (Rafailov et al. 2023, section 6; {@link UnlikelihoodTask}, after Welleck et al. 2019): the chosen
 * completion made likely, each token of the rejected one unlikely, with weight α.
 *
 * @param alpha        the unlikelihood weight
 * @param learningRate AdamW learning rate (constant)
 */
public record UnlikelihoodMethod(double alpha, double learningRate) implements FrontierMethod {
    @Override
    public String name() {
        return "unlikelihood";
    }

    @Override
    public String family() {
        return "Unlikelihood";
    }

    @Override
    public String description() {
        return String.format(Locale.ROOT, "unlikelihood training, alpha %s, lr %s", SentimentExperiment.number(alpha),
                SentimentExperiment.number(learningRate));
    }

    @Override
    public List<FrontierPoint> run(MethodContext context) throws IOException {
        CausalLM policy = context.task().loadSftModel();
        List<PreferencePair> pairs = context.trainPairs().stream().map(context.pairTokenization()::completions).toList();
        FrontierSeries series = context.series(name(), policy);
        new Trainer<>(TrainingArguments.defaults().withOptions(context.trainingOptions(name(), learningRate)),
                new UnlikelihoodTask(policy, SentimentTask.EOS, alpha, EmbeddedModel.generationConfig(),
                        context.task().tokenizerDir()), pairs, List.of()).addCallback(series).train();
        return series.points();
    }
}
