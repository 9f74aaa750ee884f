package org.align4j.align;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.align4j.autograd.GradientChecker;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.ModelConfig;
import org.align4j.model.Models;

/**
 * Tiny random models (vocabulary 40, width 16, one block) and a finite-difference check of a loss's parameter
 * gradients.
 */
public final class TinyModels {
    public static final int VOCAB = 40;

    private TinyModels() {
    }

    /** A tiny random model of {@code modelType} (gpt2 or llama; Llama with grouped-query attention, untied). */
    public static CausalLM random(String modelType, long seed) {
        ObjectNode json = new ObjectMapper().createObjectNode().put("model_type", modelType).put("vocab_size", VOCAB);
        if (modelType.equals("gpt2")) {
            json.put("n_embd", 16).put("n_head", 2).put("n_layer", 1).put("n_positions", 32)
                    .put("initializer_range", 0.2);
        } else {
            json.put("hidden_size", 16).put("intermediate_size", 24).put("num_hidden_layers", 1)
                    .put("num_attention_heads", 2).put("num_key_value_heads", 1).put("head_dim", 8)
                    .put("max_position_embeddings", 32).put("initializer_range", 0.2)
                    .put("tie_word_embeddings", false);
        }
        return Models.randomInit(ModelConfig.fromJson(json, modelType + " tiny"), seed);
    }

    /**
     * Checks the gradients that back-propagating {@code loss} leaves on the named {@code parameters} against central
     * finite differences of the loss value ({@code loss} is called with an inference tape for values, a recording
     * one for gradients, and must read the parameters afresh).
     */
    public static void checkParameterGradients(String what, Map<String, Var> parameters, List<String> names,
                                        Function<Tape, Var> loss) {
        List<float[]> inputs = new ArrayList<>();
        for (String name : names) {
            inputs.add(parameters.get(name).value().data().clone());
        }
        GradientChecker.Function value = in -> {
            set(parameters, names, in);
            return new float[] {loss.apply(Tape.inference()).value().get(0)};
        };
        GradientChecker.Gradients gradients = (in, dout) -> {
            set(parameters, names, in);
            parameters.values().forEach(Var::zeroGrad);
            Tape tape = Tape.recording();
            tape.backward(loss.apply(tape));
            List<float[]> out = new ArrayList<>();
            for (String name : names) {
                float[] g = parameters.get(name).grad().data().clone();
                for (int i = 0; i < g.length; i++) {
                    g[i] *= dout[0];
                }
                out.add(g);
            }
            return out;
        };
        new GradientChecker().withMaxCoordinates(48).check(what, value, gradients, inputs);
        set(parameters, names, inputs);
    }

    private static void set(Map<String, Var> parameters, List<String> names, List<float[]> values) {
        for (int k = 0; k < names.size(); k++) {
            float[] target = parameters.get(names.get(k)).value().data();
            System.arraycopy(values.get(k), 0, target, 0, target.length);
        }
    }
}
