package org.align4j.train;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.align4j.autograd.Var;
import org.align4j.tensor.Backend;
import org.align4j.tensor.Kernels;
import org.align4j.tensor.Tensor;

/**
 * Stochastic gradient descent with PyTorch's {@code torch.optim.SGD} semantics. For each parameter p with gradient
 * g: {@code d = g + λ p} (weight decay, coupled as in SGD); with momentum μ, the buffer is {@code b = d} on the
 * parameter's first update and {@code b = μ b + (1 − dampening) d} afterwards, and {@code d = d + μ b} (Nesterov) or
 * {@code d = b}; then {@code p = p − lr · d}. The momentum buffers are saved as
 * {@code "<parameter>.momentum_buffer"}, PyTorch's state name.
 */
public final class Sgd implements Optimizer {
    /** The HF Trainer {@code optim} name. */
    public static final String NAME = "sgd";
    private static final String MOMENTUM_BUFFER = ".momentum_buffer";

    private final double momentum;
    private final double dampening;
    private final boolean nesterov;
    private final double weightDecay;
    private final Predicate<String> decayed;
    private final Map<String, Tensor> buffers = new HashMap<>();
    private long step;

    /**
     * An optimizer with the given momentum, dampening, Nesterov flag and weight decay; the decay applies to the
     * parameters whose names {@code decayed} accepts.
     *
     * @throws IllegalArgumentException for a negative momentum or weight decay, or Nesterov momentum without
     *                                  momentum or with dampening (as PyTorch rejects them)
     */
    public Sgd(double momentum, double dampening, boolean nesterov, double weightDecay, Predicate<String> decayed) {
        if (momentum < 0 || weightDecay < 0) {
            throw new IllegalArgumentException("SGD momentum (" + momentum + ") and weight decay (" + weightDecay
                    + ") must not be negative");
        }
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires a momentum and zero dampening");
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
        this.decayed = decayed;
    }

    /** Plain SGD with momentum and weight decay on every parameter (no dampening, no Nesterov). */
    public Sgd(double momentum, double weightDecay) {
        this(momentum, 0, false, weightDecay, name -> true);
    }

    @Override
    public void step(Map<String, Var> parameters, double lr) {
        step++;
        Kernels k = Backend.kernels();
        for (Map.Entry<String, Var> e : parameters.entrySet()) {
            Var p = e.getValue();
            if (!p.requiresGrad() || !p.hasGrad()) {
                continue;
            }
            Tensor value = p.value();
            int n = value.size();
            Tensor d = p.grad().copy();
            if (weightDecay != 0 && decayed.test(e.getKey())) {
                addScaled(k, d, value, weightDecay);
            }
            if (momentum != 0) {
                Tensor buffer = buffers.get(e.getKey());
                if (buffer == null) {
                    buffer = d.copy();
                    buffers.put(e.getKey(), buffer);
                } else {
                    k.scale(buffer, (float) momentum, n);
                    addScaled(k, buffer, d, 1 - dampening);
                }
                if (nesterov) {
                    addScaled(k, d, buffer, momentum);
                } else {
                    d = buffer;
                }
            }
            addScaled(k, value, d, -lr);
        }
    }

    /** dst += alpha · src (src is left unchanged). */
    private static void addScaled(Kernels k, Tensor dst, Tensor src, double alpha) {
        Tensor scaled = src.copy();
        k.scale(scaled, (float) alpha, scaled.size());
        k.addInPlace(dst, scaled, dst.size());
    }

    @Override
    public long steps() {
        return step;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> state = new LinkedHashMap<>();
        buffers.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> state.put(e.getKey() + MOMENTUM_BUFFER, e.getValue()));
        return state;
    }

    @Override
    public void restoreState(Map<String, Tensor> state, long steps) {
        Map<String, Tensor> restored = new HashMap<>();
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            if (!e.getKey().endsWith(MOMENTUM_BUFFER)) {
                throw new IllegalArgumentException("'" + e.getKey() + "' is not an SGD state tensor (<parameter>"
                        + MOMENTUM_BUFFER + ")");
            }
            restored.put(e.getKey().substring(0, e.getKey().length() - MOMENTUM_BUFFER.length()), e.getValue());
        }
        if (steps < 0) {
            throw new IllegalArgumentException("negative step count " + steps);
        }
        buffers.clear();
        buffers.putAll(restored);
        step = steps;
    }
}
