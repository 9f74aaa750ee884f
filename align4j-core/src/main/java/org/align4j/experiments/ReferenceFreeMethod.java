package org.align4j.experiments;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.align4j.align.cpo.CpoConfig;
import org.align4j.align.cpo.CpoTrainer;
import org.align4j.align.cpo.OrpoConfig;
import org.align4j.align.cpo.OrpoTrainer;
import org.align4j.align.kto.KtoConfig;
import org.align4j.align.kto.KtoTrainer;
import org.align4j.data.Example;
import org.align4j.model.CausalLM;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.HfModelWriter;

/**
 * An offline method on the experiment's preference pairs besides DPO, started from the SFT model with DPO's budget
 * (steps, batch size, learning rate): KTO ({@link KtoTrainer}: each pair split into its desirable and undesirable
 * completion, all of them shuffled with the task's seed, since KTO visits its data in order and TRL's own unpairing
 * would put every desirable completion of a thousand pairs before their undesirable ones; the frozen SFT model as
 * reference), ORPO ({@link OrpoTrainer}, λ = β) or SimPO ({@link CpoTrainer}
 * with {@code loss_type} simpo and {@code cpo_alpha} 0, γ = {@code gamma}); ORPO and SimPO use no reference.
 *
 * @param algorithm    {@code kto}, {@code orpo} or {@code simpo}
 * @param beta         β (ORPO's λ)
 * @param gamma        SimPO's target margin γ (unused otherwise)
 * @param learningRate AdamW learning rate (constant)
 */
public record ReferenceFreeMethod(String algorithm, double beta, double gamma, double learningRate)
        implements FrontierMethod {
    /** Checks the algorithm. */
    public ReferenceFreeMethod {
        if (!List.of("kto", "orpo", "simpo").contains(algorithm)) {
            throw new IllegalArgumentException("unknown method " + algorithm);
        }
    }

    @Override
    public String name() {
        return algorithm + "-beta" + SentimentExperiment.number(beta);
    }

    @Override
    public String family() {
        return switch (algorithm) {
            case "kto" -> "KTO";
            case "orpo" -> "ORPO";
            default -> "SimPO";
        };
    }

    @Override
    public boolean inPaper() {
        return false;
    }

    @Override
    public String description() {
        return String.format(Locale.ROOT, "%s, beta %s%s, lr %s, %s", family(), SentimentExperiment.number(beta),
                algorithm.equals("simpo") ? ", gamma " + SentimentExperiment.number(gamma) : "",
                SentimentExperiment.number(learningRate),
                algorithm.equals("kto") ? "reference = frozen SFT model" : "no reference");
    }

    @Override
    public List<FrontierPoint> run(MethodContext context) throws IOException {
        SentimentTask task = context.task();
        CausalLM policy = task.loadSftModel();
        Map<String, Object> options = new HashMap<>(context.trainingOptions(name(), learningRate));
        options.put("beta", beta);
        options.put("gradient_checkpointing", false);
        HfModelWriter writer = new HfModelWriter(EmbeddedModel.generationConfig(), task.tokenizerDir());
        FrontierSeries series = context.series(name(), policy);
        switch (algorithm) {
            case "kto" -> new KtoTrainer(policy, task.reference(), KtoConfig.defaults().withOptions(options),
                    shuffledUnpaired(context.trainPairs(), task.seed()), List.of(), task.tokenizer(), writer)
                    .addCallback(series).train();
            case "orpo" -> new OrpoTrainer(policy, OrpoConfig.defaults().withOptions(options), context.trainPairs(),
                    List.of(), task.tokenizer(), writer).addCallback(series).train();
            default -> {
                options.put("loss_type", "simpo");
                options.put("cpo_alpha", 0.0);
                options.put("simpo_gamma", gamma);
                new CpoTrainer(policy, CpoConfig.defaults().withOptions(options), context.trainPairs(), List.of(),
                        task.tokenizer(), writer).addCallback(series).train();
            }
        }
        return series.points();
    }

    /** Each pre-tokenized pair as its desirable and its undesirable completion, in a seeded random order. */
    static List<Example> shuffledUnpaired(List<Example> pairs, long seed) {
        List<Example> unpaired = new ArrayList<>();
        for (Example e : pairs) {
            if (!(e instanceof Example.TokenizedPreference p)) {
                throw new IllegalArgumentException("expected pre-tokenized pairs, got " + e.getClass().getSimpleName());
            }
            unpaired.add(new Example.TokenizedUnpairedPreference(p.source(), p.promptIds(), p.chosenIds(), true));
            unpaired.add(new Example.TokenizedUnpairedPreference(p.source(), p.promptIds(), p.rejectedIds(), false));
        }
        Collections.shuffle(unpaired, new Random(seed));
        return unpaired;
    }
}
