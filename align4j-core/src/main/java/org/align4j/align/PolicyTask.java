package org.align4j.align;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModelWriter;
import org.align4j.model.io.Dtype;
import org.align4j.train.TrainingTask;

/**
 * A {@link TrainingTask} that trains one causal LM, the policy (SFT, DPO, CPO, ORPO, KTO, GRPO, RLOO): its parameters
 * are the trainable ones, checkpoints hold its float32 weights or its LoRA adapter ({@link PolicyFiles}), the final
 * model is written in the policy's dtype, and its LoRA dropout state is the task's random state.
 *
 * @param <B> the example type
 */
public abstract class PolicyTask<B> implements TrainingTask<B> {
    /** The model being trained. */
    protected final CausalLM policy;
    private final HfModelWriter writer;

    /** A task training {@code policy}, whose checkpoints and final model {@code writer} writes. */
    protected PolicyTask(CausalLM policy, HfModelWriter writer) {
        if (policy == null || writer == null) {
            throw new IllegalArgumentException("a policy task needs a policy and a writer");
        }
        this.policy = policy;
        this.writer = writer;
    }

    /** The model being trained. */
    public CausalLM policy() {
        return policy;
    }

    @Override
    public Map<String, Var> trainableParameters() {
        return policy.parameters();
    }

    /** A checkpoint's model files: the policy's float32 weights (so that resuming is exact), or its adapter. */
    @Override
    public void saveModel(Path directory) {
        PolicyFiles.write(policy, writer, directory, Dtype.F32);
    }

    /** The final model files: the policy in its dtype (the input checkpoint's unless chosen), or its adapter. */
    @Override
    public void saveFinalModel(Path directory) {
        PolicyFiles.write(policy, writer, directory, policy.config().dtype());
    }

    @Override
    public void loadModel(Path directory) {
        PolicyFiles.load(policy, directory);
    }

    @Override
    public JsonNode rngState() {
        return PolicyFiles.rngState(policy);
    }

    @Override
    public void restoreRngState(JsonNode state) {
        PolicyFiles.restoreRngState(policy, state);
    }
}
