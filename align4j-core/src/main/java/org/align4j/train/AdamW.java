package org.align4j.train;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.align4j.autograd.Var;
import org.align4j.tensor.Backend;
import org.align4j.tensor.Tensor;

/**
 * AdamW (Loshchilov &amp; Hutter 2019, "Decoupled Weight Decay Regularization", Algorithm 2) with PyTorch's
 * {@code torch.optim.AdamW} semantics: decay p ← p(1 − lr·λ), then the bias-corrected Adam step
 * p ← p − lr · m̂ / (sqrt(v̂) + ε). Moments are float32 and created on the first step of each parameter; their
 * state names are PyTorch's, {@code "<parameter>.exp_avg"} and {@code "<parameter>.exp_avg_sq"}.
 */
public final class AdamW implements Optimizer {
    /** The HF Trainer {@code optim} name. */
    public static final String NAME = "adamw_torch";
    /** transformers 5's default optimizer name on torch >= 2.8: the same AdamW, as a fused CUDA kernel. */
    public static final String FUSED_NAME = "adamw_torch_fused";

    /** Whether {@code optim} names this optimizer ({@value #NAME} or {@value #FUSED_NAME}). */
    public static boolean isNamed(String optim) {
        return NAME.equals(optim) || FUSED_NAME.equals(optim);
    }
    private static final String EXP_AVG = ".exp_avg";
    private static final String EXP_AVG_SQ = ".exp_avg_sq";

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final Predicate<String> decayed;
    private final Map<String, Tensor[]> moments = new HashMap<>();
    private long step;

    /** An optimizer with the given betas, epsilon and decoupled weight decay applied to every parameter. */
    public AdamW(double beta1, double beta2, double eps, double weightDecay) {
        this(beta1, beta2, eps, weightDecay, name -> true);
    }

    /**
     * An optimizer whose weight decay applies only to the parameters whose names {@code decayed} accepts (HF Trainer
     * puts biases and norm weights in a parameter group without decay).
     */
    public AdamW(double beta1, double beta2, double eps, double weightDecay, Predicate<String> decayed) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decayed = decayed;
    }

    @Override
    public void step(Map<String, Var> parameters, double lr) {
        step++;
        float bc1 = (float) (1 - Math.pow(beta1, step));
        float bc2 = (float) (1 - Math.pow(beta2, step));
        for (Map.Entry<String, Var> e : parameters.entrySet()) {
            Var p = e.getValue();
            if (!p.requiresGrad() || !p.hasGrad()) {
                continue;
            }
            Tensor value = p.value();
            Tensor[] mv = moments.computeIfAbsent(e.getKey(),
                    k -> new Tensor[] {Tensor.zeros(value.shape()), Tensor.zeros(value.shape())});
            float decay = decayed.test(e.getKey()) ? (float) weightDecay : 0f;
            Backend.kernels().adamwUpdate(value, p.grad(), mv[0], mv[1], value.size(), (float) lr, (float) beta1,
                    (float) beta2, (float) eps, decay, bc1, bc2);
        }
    }

    @Override
    public long steps() {
        return step;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The first and second moments of a parameter (null before its first update). */
    public Tensor[] moments(String name) {
        return moments.get(name);
    }

    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> state = new LinkedHashMap<>();
        moments.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            state.put(e.getKey() + EXP_AVG, e.getValue()[0]);
            state.put(e.getKey() + EXP_AVG_SQ, e.getValue()[1]);
        });
        return state;
    }

    @Override
    public void restoreState(Map<String, Tensor> state, long steps) {
        Map<String, Tensor[]> restored = new HashMap<>();
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            String name = e.getKey();
            int slot = name.endsWith(EXP_AVG_SQ) ? 1 : name.endsWith(EXP_AVG) ? 0 : -1;
            if (slot < 0) {
                throw new IllegalArgumentException("'" + name + "' is not an AdamW state tensor (<parameter>"
                        + EXP_AVG + " or <parameter>" + EXP_AVG_SQ + ")");
            }
            String parameter = name.substring(0, name.length() - (slot == 0 ? EXP_AVG : EXP_AVG_SQ).length());
            restored.computeIfAbsent(parameter, k -> new Tensor[2])[slot] = e.getValue();
        }
        for (Map.Entry<String, Tensor[]> e : restored.entrySet()) {
            Tensor[] mv = e.getValue();
            if (mv[0] == null || mv[1] == null) {
                throw new IllegalArgumentException("parameter '" + e.getKey() + "' has only one of "
                        + EXP_AVG.substring(1) + " and " + EXP_AVG_SQ.substring(1));
            }
            if (!mv[0].sameShape(mv[1])) {
                throw new IllegalArgumentException("the moments of '" + e.getKey() + "' differ in shape: " + mv[0]
                        + " vs " + mv[1]);
            }
        }
        if (steps < 0) {
            throw new IllegalArgumentException("negative step count " + steps);
        }
        moments.clear();
        moments.putAll(restored);
        step = steps;
    }
}
