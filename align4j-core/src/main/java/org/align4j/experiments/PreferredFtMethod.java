package org.align4j.experiments;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import org.align4j.align.sft.SftTrainer;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.CausalLM;
import org.align4j.train.TrainingArguments;

/**
 * Preferred-FT (Rafailov et al. 2023, section 6; {@link org.align4j.align.sft.PreferredFineTuning}): SFT on the chosen
 * completion of every preference pair. The pairs are pre-tokenized, so the chosen sequences are taken as
 * {@link org.align4j.data.RewardTokenization#completions} lays them out (prompt ids, then the chosen ids in the loss),
 * which is what PreferredFineTuning's prompt-completion examples become for text pairs; a completion that wins
 * several pairs of its prompt appears once per pair, as there.
 *
 * @param learningRate AdamW learning rate (constant)
 */
public record PreferredFtMethod(double learningRate) implements FrontierMethod {
    @Override
    public String name() {
        return "preferred-ft";
    }

    @Override
    public String family() {
        return "Preferred-FT";
    }

    @Override
    public String description() {
        return String.format(Locale.ROOT, "SFT on the chosen completions, lr %s",
                SentimentExperiment.number(learningRate));
    }

    @Override
    public List<FrontierPoint> run(MethodContext context) throws IOException {
        CausalLM policy = context.task().loadSftModel();
        List<TokenizedSequence> chosen = context.trainPairs().stream()
                .map(p -> context.pairTokenization().completions(p).chosen()).toList();
        FrontierSeries series = context.series(name(), policy);
        SftTrainer.forSequences(policy, EmbeddedModel.generationConfig(), context.task().tokenizer(),
                context.task().tokenizerDir(),
                TrainingArguments.defaults().withOptions(context.trainingOptions(name(), learningRate)), chosen,
                List.of()).addCallback(series).train();
        return series.points();
    }
}
