package org.align4j.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.align4j.InputException;

/**
 * The learning rate after a given number of optimizer steps, with the formulas of transformers'
 * {@code get_scheduler} (a {@code LambdaLR} whose multiplier is evaluated at the number of steps taken so far):
 * optimizer step {@code k} (0-based) uses {@code learningRate(k)}, and Trainer logs {@code learningRate(global_step)}
 * after the step, as HF Trainer does.
 *
 * <p>With {@code w} warmup steps and {@code n} training steps, every schedule but {@code constant} and
 * {@code warmup_stable_decay} ramps up as {@code step / max(1, w)} while {@code step < w}; after warmup, with
 * {@code progress = (step - w) / max(1, n - w)}:
 * <ul>
 *   <li>{@code constant}: 1 (no warmup);</li>
 *   <li>{@code constant_with_warmup}: 1;</li>
 *   <li>{@code linear}: {@code max(0, (n - step) / max(1, n - w))};</li>
 *   <li>{@code cosine}: {@code max(0, 0.5 (1 + cos(pi · 2 · num_cycles · progress)))}, num_cycles 0.5 by default
 *       (one half cosine down to 0);</li>
 *   <li>{@code cosine_with_min_lr}: the cosine factor {@code f} mapped to {@code f (1 - min_lr_rate) + min_lr_rate}
 *       ({@code min_lr_rate}, or {@code min_lr} / learning rate);</li>
 *   <li>{@code cosine_with_restarts}: 0 once {@code progress >= 1}, else
 *       {@code max(0, 0.5 (1 + cos(pi · ((num_cycles · progress) mod 1))))}, num_cycles 1 by default;</li>
 *   <li>{@code polynomial}: {@code ((lr - lr_end) (1 - progress)^power + lr_end) / lr} up to step n, then
 *       {@code lr_end / lr} (lr_end 1e-7, power 1);</li>
 *   <li>{@code inverse_sqrt}: {@code 1 / sqrt((step + t - w) / t)} with timescale {@code t = w}, or 10000 without
 *       warmup (transformers passes no kwargs to it);</li>
 *   <li>{@code warmup_stable_decay}: a warmup of {@code warmup_type} (linear, cosine or 1-sqrt) from
 *       {@code min_lr_ratio}, {@code num_stable_steps} (default {@code n - w - num_decay_steps}) at 1, then
 *       {@code num_decay_steps} (required) of {@code decay_type} (cosine by default) down to {@code min_lr_ratio},
 *       which it keeps.</li>
 * </ul>
 * {@code constant}, {@code constant_with_warmup} and {@code inverse_sqrt} take no kwargs.
 *
 * @param type          the schedule ({@code lr_scheduler_type})
 * @param baseLr        the peak learning rate ({@code learning_rate})
 * @param warmupSteps   steps of warmup
 * @param trainingSteps the total number of optimizer steps ({@code max_steps})
 * @param kwargs        {@code lr_scheduler_kwargs}, the keys the type's transformers function takes
 */
public record LearningRateSchedule(Type type, double baseLr, long warmupSteps, long trainingSteps,
                                   Map<String, Object> kwargs) {

    /** HF {@code SchedulerType} values supported here, named as in {@code lr_scheduler_type}. */
    public enum Type {
        LINEAR("linear"),
        COSINE("cosine", "num_cycles"),
        COSINE_WITH_RESTARTS("cosine_with_restarts", "num_cycles"),
        POLYNOMIAL("polynomial", "lr_end", "power"),
        CONSTANT("constant"),
        CONSTANT_WITH_WARMUP("constant_with_warmup"),
        INVERSE_SQRT("inverse_sqrt"),
        COSINE_WITH_MIN_LR("cosine_with_min_lr", "num_cycles", "min_lr", "min_lr_rate"),
        WARMUP_STABLE_DECAY("warmup_stable_decay", "num_decay_steps", "num_stable_steps", "warmup_type", "decay_type",
                "min_lr_ratio", "num_cycles");

        private final String hfName;
        private final Set<String> kwargs;

        Type(String hfName, String... kwargs) {
            this.hfName = hfName;
            this.kwargs = Set.of(kwargs);
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

    private static final Set<String> SHAPES = Set.of("linear", "cosine", "1-sqrt");
    private static final Set<String> TEXT_KWARGS = Set.of("warmup_type", "decay_type");

    /** Validates the step counts, the rate and the kwargs (names, types, ranges) for the type. */
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
        kwargs = checkKwargs(type, baseLr, kwargs == null ? Map.of() : kwargs);
    }

    /**
     * {@code kwargs} checked for {@code type} as transformers' scheduler function would take them (unknown names and
     * wrong types refused rather than ignored), as an unmodifiable map.
     *
     * @throws InputException naming {@code lr_scheduler_kwargs} and the key
     */
    public static Map<String, Object> checkKwargs(Type type, double baseLr, Map<String, ?> kwargs) {
        for (Map.Entry<String, ?> e : kwargs.entrySet()) {
            String key = e.getKey();
            if (!type.kwargs.contains(key)) {
                throw new InputException("lr_scheduler_kwargs: lr_scheduler_type " + type + " takes "
                        + (type.kwargs.isEmpty() ? "no kwargs" : String.join(", ", new TreeSet<>(type.kwargs)))
                        + "; got '" + key + "'");
            }
            Object value = e.getValue();
            if (TEXT_KWARGS.contains(key) ? !(value instanceof String text && SHAPES.contains(text))
                    : !(value instanceof Number n && Double.isFinite(n.doubleValue()))) {
                throw new InputException("lr_scheduler_kwargs: " + key + " must be "
                        + (TEXT_KWARGS.contains(key) ? "linear, cosine or 1-sqrt" : "a finite number") + ", got "
                        + value);
            }
        }
        Map<String, Object> checked = Map.copyOf(kwargs);
        if (type == Type.COSINE_WITH_MIN_LR) {
            if (checked.containsKey("min_lr") == checked.containsKey("min_lr_rate")) {
                throw new InputException("lr_scheduler_type cosine_with_min_lr needs one of min_lr or min_lr_rate in"
                        + " lr_scheduler_kwargs");
            }
            double rate = minLrRate(checked, baseLr);
            if (!(rate >= 0 && rate <= 1)) {
                throw new InputException("lr_scheduler_kwargs: min_lr_rate must be in [0, 1], got " + rate);
            }
        }
        if (type == Type.POLYNOMIAL && baseLr > 0 && !(baseLr > number(checked, "lr_end", 1e-7))) {
            throw new InputException("lr_scheduler_kwargs: lr_end (" + number(checked, "lr_end", 1e-7)
                    + ") must be smaller than learning_rate (" + baseLr + ")");
        }
        if (type == Type.WARMUP_STABLE_DECAY && !checked.containsKey("num_decay_steps")) {
            throw new InputException("lr_scheduler_type warmup_stable_decay needs num_decay_steps in"
                    + " lr_scheduler_kwargs");
        }
        return checked;
    }

    private static double number(Map<String, Object> kwargs, String key, double fallback) {
        Object value = kwargs.get(key);
        return value == null ? fallback : ((Number) value).doubleValue();
    }

    private static double minLrRate(Map<String, Object> kwargs, double baseLr) {
        return kwargs.containsKey("min_lr") ? (baseLr > 0 ? number(kwargs, "min_lr", 0) / baseLr : 0)
                : number(kwargs, "min_lr_rate", 0);
    }

    /** A schedule without kwargs (HF's defaults for the shape). */
    public static LearningRateSchedule of(Type type, double baseLr, long warmupSteps, long trainingSteps) {
        return new LearningRateSchedule(type, baseLr, warmupSteps, trainingSteps, Map.of());
    }

    /** The multiplier of {@code baseLr} after {@code step} optimizer steps (the {@code LambdaLR} lambda). */
    public double factor(long step) {
        if (type == Type.CONSTANT) {
            return 1.0;
        }
        if (type == Type.WARMUP_STABLE_DECAY) {
            return warmupStableDecay(step);
        }
        if (step < warmupSteps) {
            return (double) step / Math.max(1, warmupSteps);
        }
        double afterWarmup = Math.max(1, trainingSteps - warmupSteps);
        double progress = (step - warmupSteps) / afterWarmup;
        return switch (type) {
            case CONSTANT_WITH_WARMUP -> 1.0;
            case LINEAR -> Math.max(0.0, (trainingSteps - step) / afterWarmup);
            case COSINE -> Math.max(0.0, cosine(progress, number(kwargs, "num_cycles", 0.5)));
            case COSINE_WITH_MIN_LR -> {
                double rate = minLrRate(kwargs, baseLr);
                yield Math.max(0.0, cosine(progress, number(kwargs, "num_cycles", 0.5)) * (1 - rate) + rate);
            }
            case COSINE_WITH_RESTARTS -> progress >= 1.0 ? 0.0
                    : Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * ((number(kwargs, "num_cycles", 1) * progress)
                    % 1.0))));
            case POLYNOMIAL -> {
                double lrEnd = number(kwargs, "lr_end", 1e-7);
                if (step > trainingSteps) {
                    yield lrEnd / baseLr;
                }
                double remaining = 1 - progress;
                yield ((baseLr - lrEnd) * Math.pow(remaining, number(kwargs, "power", 1.0)) + lrEnd) / baseLr;
            }
            case INVERSE_SQRT -> {
                double timescale = warmupSteps > 0 ? warmupSteps : 10_000;
                yield 1.0 / Math.sqrt((step + timescale - warmupSteps) / timescale);
            }
            case CONSTANT, WARMUP_STABLE_DECAY -> throw new AssertionError("handled above");
        };
    }

    /** transformers' {@code get_wsd_schedule} lambda. */
    private double warmupStableDecay(long step) {
        double minRatio = number(kwargs, "min_lr_ratio", 0);
        long decaySteps = (long) number(kwargs, "num_decay_steps", 0);
        long stableSteps = kwargs.containsKey("num_stable_steps") ? (long) number(kwargs, "num_stable_steps", 0)
                : trainingSteps - warmupSteps - decaySteps;
        if (step < warmupSteps) {
            double progress = (double) step / Math.max(1, warmupSteps);
            return Math.max(0.0, shape((String) kwargs.getOrDefault("warmup_type", "linear"), progress, true)
                    * (1.0 - minRatio) + minRatio);
        }
        if (step < warmupSteps + stableSteps) {
            return 1.0;
        }
        if (step < warmupSteps + stableSteps + decaySteps) {
            double progress = (double) (step - warmupSteps - stableSteps) / Math.max(1, decaySteps);
            return Math.max(0.0, shape((String) kwargs.getOrDefault("decay_type", "cosine"), progress, false)
                    * (1.0 - minRatio) + minRatio);
        }
        return minRatio;
    }

    /** A warmup (rising) or decay (falling) shape of wsd at {@code progress} in [0, 1). */
    private double shape(String name, double progress, boolean warmup) {
        return switch (name) {
            case "linear" -> warmup ? progress : 1.0 - progress;
            case "cosine" -> warmup ? 0.5 * (1.0 - Math.cos(Math.PI * progress))
                    : cosine(progress, number(kwargs, "num_cycles", 0.5));
            default -> warmup ? 1.0 - Math.sqrt(1.0 - progress) : 1.0 - Math.sqrt(progress);
        };
    }

    private static double cosine(double progress, double numCycles) {
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
