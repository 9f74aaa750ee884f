package org.align4j.quant;

import java.util.Collections;
import java.util.Map;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.DelegatingCausalLM;
import org.align4j.model.LinearAdapter;
import org.align4j.model.ModelConfig;
import org.align4j.model.Models;
import org.align4j.tensor.Tensor;

/**
 * A model for inference whose linear modules are {@link PackedMatrix packed} ternary or binary weights: each module
 * quantises its input per token to int8 and runs {@link PackedGemm} (the GEMV of generation, the GEMM of a prompt),
 * as BitNet's BitLinear infers (Ma et al. 2024, arXiv 2402.17764); the embeddings, norms, biases and lm_head stay in
 * float. It computes the forward of the {@link BitLinearModel} it was saved from up to float rounding (which, where an
 * activation lies on an int8 rounding boundary, can move its code by one). It holds no
 * float copy of the packed weights and records no gradients: its {@link #parameters()} are the float tensors only,
 * frozen.
 */
public final class PackedModel extends DelegatingCausalLM {
    private final WeightQuantization quantization;
    private final Map<String, Var> parameters;
    private final Map<String, PackedMatrix> modules;
    private final CausalLM model;

    PackedModel(ModelConfig config, WeightQuantization quantization, Map<String, Var> parameters,
                Map<String, PackedMatrix> modules) {
        this.quantization = quantization;
        this.parameters = Collections.unmodifiableMap(parameters);
        this.modules = Map.copyOf(modules);
        this.model = Models.withAdapter(config, parameters, new LinearAdapter() {
            @Override
            public Var apply(Tape tape, String module, Var input, Var output) {
                return output;
            }

            @Override
            public Var replace(Tape tape, String module, Var input) {
                return packedLinear(module, input);
            }
        });
    }

    private Var packedLinear(String module, Var input) {
        PackedMatrix weight = modules.get(module);
        Var bias = parameters.get(module + ".bias");
        int rows = input.value().size() / weight.cols();
        Tensor y = Tensor.zeros(rows, weight.rows());
        PackedGemm.multiply(weight, QuantizedActivations.quantize(input.value().data(), rows, weight.cols()),
                bias == null ? null : bias.value().data(), y.data());
        return Var.constant(y);
    }

    /** The weight quantiser of the packed modules. */
    public WeightQuantization quantization() {
        return quantization;
    }

    /** The packed weights of the linear modules, by module name. */
    public Map<String, PackedMatrix> packedModules() {
        return modules;
    }

    @Override
    protected CausalLM delegate() {
        return model;
    }

    /** The float tensors (embeddings, norms, biases, lm_head), frozen; the packed weights are not among them. */
    @Override
    public Map<String, Var> parameters() {
        return parameters;
    }
}
