package org.align4j.train;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.align4j.autograd.Var;
import org.align4j.model.io.CheckpointException;
import org.align4j.model.io.Dtype;
import org.align4j.model.io.SafeTensors;
import org.align4j.model.io.SafeTensorsWriter;
import org.align4j.tensor.Tensor;

/**
 * Updates parameters from their accumulated gradients, and saves and restores its state (the equivalent of
 * {@code optimizer.state_dict()} in a HF Trainer checkpoint) as {@code optimizer.safetensors}: one float32 tensor
 * per parameter and state kind, named {@code "<parameter>.<kind>"} (e.g. {@code model.norm.weight.exp_avg}), with
 * the optimizer's name and step count in the header metadata.
 */
public interface Optimizer {
    /** Metadata key of the optimizer name ({@link #name()}) in {@code optimizer.safetensors}. */
    String NAME_METADATA = "optimizer";
    /** Metadata key of the step count ({@link #steps()}) in {@code optimizer.safetensors}. */
    String STEP_METADATA = "step";

    /** Applies one update with learning rate {@code lr} to every parameter that requires a gradient. */
    void step(Map<String, Var> parameters, double lr);

    /** Number of updates applied so far. */
    long steps();

    /** The HF {@code optim} name of this optimizer, e.g. {@code adamw_torch} or {@code sgd}. */
    String name();

    /**
     * The state tensors by {@code "<parameter>.<kind>"} name (the live tensors, not copies); parameters that have
     * not been updated yet have none.
     */
    Map<String, Tensor> state();

    /**
     * Replaces the state with {@code state} (named as {@link #state()} names it; the tensors are kept, not copied)
     * and sets the step count.
     *
     * @throws IllegalArgumentException if a name is not one of this optimizer's state kinds or a kind is missing
     */
    void restoreState(Map<String, Tensor> state, long steps);

    /** Writes the state to {@code file} (safetensors, float32). */
    default void save(Path file) {
        SafeTensorsWriter.write(file, SafeTensorsWriter.entries(state(), Dtype.F32),
                Map.of(NAME_METADATA, name(), STEP_METADATA, Long.toString(steps())));
    }

    /**
     * Restores the state that {@link #save} wrote to {@code file}, checking it against {@code parameters}: the
     * optimizer name must match, and every state tensor must belong to a parameter and have its shape.
     *
     * @throws CheckpointException naming the file and the tensor or field at fault
     */
    default void load(Path file, Map<String, Var> parameters) {
        try (SafeTensors st = SafeTensors.open(file)) {
            String savedName = st.metadata().get(NAME_METADATA);
            if (!name().equals(savedName)) {
                throw new CheckpointException(file + ": holds the state of optimizer '" + savedName
                        + "', this run uses '" + name() + "'");
            }
            long steps;
            try {
                steps = Long.parseLong(st.metadata().getOrDefault(STEP_METADATA, ""));
            } catch (NumberFormatException e) {
                throw new CheckpointException(file + ": metadata '" + STEP_METADATA + "' is not an integer: '"
                        + st.metadata().get(STEP_METADATA) + "'", e);
            }
            Map<String, Tensor> state = new LinkedHashMap<>();
            for (String name : st.names()) {
                int dot = name.lastIndexOf('.');
                Var parameter = dot > 0 ? parameters.get(name.substring(0, dot)) : null;
                if (parameter == null) {
                    throw new CheckpointException(file + ": state tensor '" + name + "' belongs to no parameter");
                }
                Tensor tensor = st.read(name);
                if (!tensor.sameShape(parameter.value())) {
                    throw new CheckpointException(file + ": state tensor '" + name + "' has shape "
                            + Arrays.toString(tensor.shape()) + ", the parameter has "
                            + Arrays.toString(parameter.value().shape()));
                }
                state.put(name, tensor);
            }
            try {
                restoreState(state, steps);
            } catch (IllegalArgumentException e) {
                throw new CheckpointException(file + ": " + e.getMessage(), e);
            }
        }
    }
}
