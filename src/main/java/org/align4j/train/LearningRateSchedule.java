package org.align4j.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.align4j.InputException;

/**
 * The learning rate after a given number of optimizer steps, with the formulas of transformers'
 * {@code get_scheduler} (a {@code LambdaLR} whose multiplier is evaluated at the number of steps taken so far):
 * optimizer step {@code k} (0-based) uses {@code learningRate(k)}, and Trainer logs {@code learningRate(global_step)}
 * after the step, as HF Trainer does.
 *
 * <p>With {@code w} warmup steps and {@code n} training steps, every schedule but {@code constant} ramps up as
 * {@code step / max(1, w)} while {@code step < w}; after warmup, with
 * {@code progress = (step - w) / max(1, n - w)}:
 * <ul>
 *   <li>{@code constant}: 1 (no warmup);</li>
 *   <li>{@code constant_with_warmup}: 1;</li>
 *   <li>{@code linear}: {@code max(0, (n - step) / max(1, n - w))};</li>
 *   <li>{@code cosine}: {@code max(0, 0.5 (1 + cos(pi · 2 · numCycles · progress)))}, numCycles 0.5 by default
 *       (one half cosine down to 0);</li>
 *   <li>{@code cosine_with_min_lr}: the cosine factor {@code f} mapped to {@code f (1 - minLrRate) + minLrRate}.</li>
 * </ul>
 *
 * @param type          the schedule ({@code lr_scheduler_type})
 * @param baseLr        the peak learning rate ({@code learning_rate})
 * @param warmupSteps   steps of linear warmup from 0
 * @param trainingSteps the total number of optimizer steps ({@code max_steps})
 * @param numCycles     cosine cycles ({@code lr_scheduler_kwargs.num_cycles}, HF default 0.5)
 * @param minLrRate     the floor of {@code cosine_with_min_lr} as a fraction of {@code baseLr}
 */
public record LearningRateSchedule(Type type, double baseLr, long warmupSteps, long trainingSteps, double numCycles,
                                   double minLrRate) {

    /** HF {@code SchedulerType} values supported here, named as in {@code lr_scheduler_type}. */
    public enum Type {
        LINEAR("linear"),
        COSINE("cosine"),
        COSINE_WITH_MIN_LR("cosine_with_min_lr"),
        CONSTANT("constant"),
        CONSTANT_WITH_WARMUP("constant_with_warmup");

        private final String hfName;

        Type(String hfName) {
            this.hfName = hfName;
        }

        /** The name {@code lr_scheduler_type} uses. */
        @JsonValue
        public String hfName() {
            return hfName;
        }

        /** The type named {@code name} (as {@code lr_scheduler_type} spells it). */
        @JsonCreator
        public static Type of(String name) {
            String wanted = name.trim().toLowerCase(Locale.ROOT);
            return Arrays.stream(values()).filter(t -> t.hfName.equals(wanted)).findFirst().orElseThrow(
                    () -> new InputException("lr_scheduler_type must be one of "
                            + Arrays.stream(values()).map(Type::hfName).collect(Collectors.joining(", "))
                            + "; got '" + name + "'"));
        }

        @Override
        public String toString() {
            return hfName;
        }
    }

    /** Validates the step counts and rates. */
    public LearningRateSchedule {
        if (type == null) {
            throw new InputException("lr_scheduler_type must be set");
        }
        if (warmupSteps < 0 || trainingSteps < 0) {
            throw new InputException("warmup steps (" + warmupSteps + ") and training steps ("
                    + trainingSteps + ") must not be negative");
        }
        if (!(baseLr >= 0)) {
            throw new InputException("learning_rate must be >= 0, got " + baseLr);
        }
        if (!(minLrRate >= 0 && minLrRate <= 1)) {
            throw new InputException("min_lr_rate must be in [0, 1], got " + minLrRate);
        }
    }

    /** A schedule with HF's defaults for the cosine shape (half a cycle, no floor). */
    public static LearningRateSchedule of(Type type, double baseLr, long warmupSteps, long trainingSteps) {
        return new LearningRateSchedule(type, baseLr, warmupSteps, trainingSteps, 0.5, 0);
    }

    /** The multiplier of {@code baseLr} after {@code step} optimizer steps (the {@code LambdaLR} lambda). */
    public double factor(long step) {
        if (type == Type.CONSTANT) {
            return 1.0;
        }
        if (step < warmupSteps) {
            return (double) step / Math.max(1, warmupSteps);
        }
        double afterWarmup = Math.max(1, trainingSteps - warmupSteps);
        return switch (type) {
            case CONSTANT_WITH_WARMUP -> 1.0;
            case LINEAR -> Math.max(0.0, (trainingSteps - step) / afterWarmup);
            case COSINE -> Math.max(0.0, cosine((step - warmupSteps) / afterWarmup));
            case COSINE_WITH_MIN_LR ->
                    Math.max(0.0, cosine((step - warmupSteps) / afterWarmup) * (1 - minLrRate) + minLrRate);
            case CONSTANT -> throw new AssertionError("handled above");
        };
    }

    private double cosine(double progress) {
        return 0.5 * (1.0 + Math.cos(Math.PI * numCycles * 2.0 * progress));
    }

    /** The learning rate for the optimizer step taken after {@code step} steps: {@code baseLr * factor(step)}. */
    public double learningRate(long step) {
        return baseLr * factor(step);
    }

    /**
     * The state a checkpoint's {@code scheduler.json} holds after {@code stepsTaken} steps, under torch's
     * {@code LambdaLR} names where they apply ({@code last_epoch} is the number of steps taken).
     */
    public Map<String, Object> state(long stepsTaken) {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("lr_scheduler_type", type.hfName());
        state.put("last_epoch", stepsTaken);
        state.put("base_lrs", List.of(baseLr));
        state.put("_last_lr", List.of(learningRate(stepsTaken)));
        state.put("num_warmup_steps", warmupSteps);
        state.put("num_training_steps", trainingSteps);
        return state;
    }
}
