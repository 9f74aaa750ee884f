package org.align4j.quant;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.DelegatingCausalLM;
import org.align4j.model.LinearAdapter;
import org.align4j.model.LinearModule;
import org.align4j.model.Models;
import org.align4j.tensor.Tensor;

/**
 * Quantisation-aware training of a float model as BitNet trains its BitLinear layers (Wang et al. 2023, arXiv
 * 2310.11453, section 2.3; Ma et al. 2024, arXiv 2402.17764): every linear module of the blocks
 * ({@link Models#linearModules}) computes its output from the {@link WeightQuantization ternary or binary} quantised
 * weight and the per-token int8 {@link QuantizedActivations quantised input}, both dequantised, while the backward
 * passes the gradients straight through the quantisers to the float latent weights and the input
 * ({@link Ops#straightThroughLinear}). The embeddings, norms and lm_head stay in float, as in BitNet.
 *
 * <p>The model's {@link #parameters()} are the float model's own, shared and trainable, so any optimizer or
 * {@code Trainer} task trains the latent weights, and a float checkpoint of them is {@code HfModels.save(model, ...)};
 * {@link PackedCheckpoint#save} writes the packed weights instead. Every forward, training or KV-cached, quantises.
 */
public final class BitLinearModel extends DelegatingCausalLM {
    private final WeightQuantization quantization;
    private final Map<String, Var> parameters;
    private final Map<String, LinearModule> modules = new LinkedHashMap<>();
    private final CausalLM model;

    private BitLinearModel(CausalLM latent, WeightQuantization quantization) {
        this.quantization = quantization;
        for (String name : Models.parameterShapes(latent.config()).keySet()) {
            if (!latent.parameters().containsKey(name)) {
                throw new IllegalArgumentException("the model has no parameter '" + name + "' of its "
                        + latent.config().modelType() + " architecture");
            }
        }
        this.parameters = latent.parameters();
        for (LinearModule module : Models.linearModules(latent.config())) {
            modules.put(module.name(), module);
        }
        this.model = Models.withAdapter(latent.config(), parameters, new LinearAdapter() {
            @Override
            public Var apply(Tape tape, String module, Var input, Var output) {
                return output;
            }

            @Override
            public Var replace(Tape tape, String module, Var input) {
                return bitLinear(tape, module, input);
            }
        });
    }

    /**
     * {@code latent}'s architecture with its linear modules quantised by {@code quantization}, training
     * {@code latent}'s own parameters (shared, not copied).
     *
     * @throws IllegalArgumentException when {@code latent} lacks a parameter of its architecture (an adapted model)
     */
    public static BitLinearModel create(CausalLM latent, WeightQuantization quantization) {
        return new BitLinearModel(latent, quantization);
    }

    /** The weight quantiser. */
    public WeightQuantization quantization() {
        return quantization;
    }

    /** The quantised modules, in forward order. */
    public List<LinearModule> quantizedModules() {
        return List.copyOf(modules.values());
    }

    /** BitLinear: the module on the dequantised quantised input and weight, straight-through in the backward. */
    private Var bitLinear(Tape tape, String name, Var input) {
        LinearModule module = modules.get(name);
        Var weight = parameters.get(module.weightName());
        Var bias = parameters.get(module.name() + ".bias");
        Tensor quantizedWeight = Tensor.zeros(weight.value().shape());
        quantization.fakeQuantize(weight.value().data(), weight.value().size(), quantizedWeight.data());
        Tensor quantizedInput = Tensor.zeros(input.value().shape());
        int rows = input.value().size() / module.inFeatures();
        QuantizedActivations.quantize(input.value().data(), rows, module.inFeatures())
                .dequantize(quantizedInput.data());
        return Ops.straightThroughLinear(tape, input, quantizedInput, weight, quantizedWeight, bias, module.conv1d());
    }

    @Override
    protected CausalLM delegate() {
        return model;
    }

    /** The float latent weights and the other parameters, shared with the model this was created on. */
    @Override
    public Map<String, Var> parameters() {
        return parameters;
    }
}
