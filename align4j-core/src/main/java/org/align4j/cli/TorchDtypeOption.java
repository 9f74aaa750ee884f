package org.align4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.align4j.InputException;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModels;
import org.align4j.model.io.Dtype;
import picocli.CommandLine.Option;

/**
 * {@code --torch-dtype} (transformers' {@code torch_dtype}), for the commands that load a model: the dtype that the
 * weights a command does not train are stored in (a reference model, the base under LoRA adapters, a model that
 * only generates or scores). {@code bfloat16} halves their memory and the bytes a decoding step reads; matmuls widen
 * them to float32 as they load them, so activations, gradients, trainable weights and optimizer state stay float32.
 * Norm weights and biases stay float32 too. {@code auto} takes the dtype config.json's {@code torch_dtype} names.
 */
final class TorchDtypeOption {
    @Option(names = "--torch-dtype", defaultValue = "float32", paramLabel = "DTYPE",
            description = "dtype of the weights this command does not train (reference model, LoRA base, a model"
                    + " that only generates or scores): float32, bfloat16, or auto for config.json's torch_dtype"
                    + " (default: ${DEFAULT-VALUE}); trained weights stay float32")
    String torchDtype;

    /**
     * The storage dtype for the model in {@code dir} (null: a random-init model, for which {@code auto} is float32):
     * {@link Dtype#F32} or {@link Dtype#BF16}; an unknown name is an {@link IllegalArgumentException}.
     */
    Dtype storage(Path dir) {
        String name = torchDtype.trim().toLowerCase(Locale.ROOT);
        if (name.equals("auto")) {
            return dir != null ? HfModels.checkpointStorage(dir) : Dtype.F32;
        }
        return Dtype.fromTorchName(name).filter(d -> d == Dtype.F32 || d == Dtype.BF16).orElseThrow(() ->
                new InputException("--torch-dtype must be float32, bfloat16 or auto, got '" + torchDtype
                        + "'"));
    }

    /** Whether the weights of the model in {@code dir} are stored in bfloat16. */
    boolean bfloat16(Path dir) {
        return storage(dir) == Dtype.BF16;
    }

    /** The model in {@code dir}, frozen, stored in the chosen dtype ({@link HfModels#loadFrozen}). */
    CausalLM loadFrozen(Path dir) {
        return HfModels.loadFrozen(dir, storage(dir), null);
    }
}
