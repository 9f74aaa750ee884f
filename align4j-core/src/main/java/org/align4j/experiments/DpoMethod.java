package org.align4j.experiments;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.align4j.align.dpo.DpoConfig;
import org.align4j.align.dpo.DpoTrainer;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;

/**
 * DPO (Rafailov et al. 2023, eq. 7, sigmoid loss) at one β on the experiment's preference pairs, with the frozen SFT
 * model as the reference, through {@link DpoTrainer}.
 *
 * @param beta         DPO's β
 * @param learningRate AdamW learning rate (constant)
 */
public record DpoMethod(double beta, double learningRate) implements FrontierMethod {
    @Override
    public String name() {
        return "dpo-beta" + SentimentExperiment.number(beta);
    }

    @Override
    public String family() {
        return "DPO";
    }

    @Override
    public String description() {
        return String.format(Locale.ROOT, "DPO, beta %s, lr %s, reference = frozen SFT model",
                SentimentExperiment.number(beta), SentimentExperiment.number(learningRate));
    }

    @Override
    public List<FrontierPoint> run(MethodContext context) throws IOException {
        CausalLM policy = context.task().loadSftModel();
        Map<String, Object> options = new HashMap<>(context.trainingOptions(name(), learningRate));
        options.put("beta", beta);
        FrontierSeries series = context.series(name(), policy);
        new DpoTrainer(policy, context.task().reference(), DpoConfig.defaults().withOptions(options),
                context.trainPairs(), List.of(), context.task().tokenizer(),
                new HfModelWriter(EmbeddedModel.generationConfig(), context.task().tokenizerDir()))
                .addCallback(series).train();
        return series.points();
    }
}
