package org.align4j.align.dpo;

import java.util.List;
import org.align4j.data.Example;
import org.align4j.data.PreferencePair;
import org.align4j.data.PreferenceTokenization;
import org.align4j.model.CausalLM;
import org.align4j.tokenizer.Tokenizer;

/**
 * What every trainer on preference pairs (DPO, CPO, SimPO, ORPO) does to its data: the pairs tokenized as TRL's
 * {@code DPOTrainer} prepares them, checked against the model, and the one padding id.
 */
public final class PreferencePairs {
    private PreferencePairs() {
    }

    /**
     * {@code examples} tokenized by {@code tokenization}, each pair checked to fit {@code model}; notes on dropped
     * examples go to standard error, prefixed with {@code trainer} and {@code split}.
     */
    public static List<PreferencePair> prepare(PreferenceTokenization tokenization, List<Example> examples,
                                               CausalLM model, Integer maxLength, String trainer, String split) {
        PreferenceTokenization.Result result = tokenization.tokenizeAll(examples);
        result.warnings(examples.size(), maxLength)
                .forEach(w -> System.err.println(trainer + ": warning: " + split + " dataset: " + w));
        for (PreferencePair pair : result.pairs()) {
            pair.requireFits(model.config().vocabSize(), model.config().maxPositions());
        }
        return result.pairs();
    }

    /** The padding id: the tokenizer's pad, else its eos, else the model config's, else 0 (padding is masked). */
    public static int padId(Tokenizer tokenizer, CausalLM model, String padToken) {
        if (tokenizer != null && (padToken != null || tokenizer.padTokenId().isPresent()
                || tokenizer.eosTokenId().isPresent())) {
            return tokenizer.paddingId(padToken);
        }
        int configured = model.config().json().path("pad_token_id").asInt(-1);
        if (configured >= 0) {
            return configured;
        }
        return model.config().eosTokenIds().isEmpty() ? 0 : model.config().eosTokenIds().get(0);
    }
}
