package org.align4j.train;

import java.util.Map;
import java.util.function.Predicate;
import org.align4j.InputException;
import org.align4j.autograd.Var;

/**
 * The optimizer HF's {@code optim} option names, built from the training arguments: {@code adamw_torch}
 * ({@link AdamW}), {@code sgd} ({@link Sgd}, {@code optim_args} momentum, dampening, nesterov) or {@code mezo}
 * ({@link MeZo}, {@code optim_args} zo_eps, n_spsa). As HF's trainer, weight decay applies to the weight matrices
 * and embeddings (rank 2 and up), not to norms and biases.
 */
public final class Optimizers {
    private Optimizers() {
    }

    /**
     * The optimizer of {@code args} for {@code parameters}.
     *
     * @throws InputException for an {@code optim} that is not supported
     */
    public static Optimizer create(TrainingArguments args, Map<String, Var> parameters) {
        Predicate<String> decayed = name -> parameters.get(name).value().rank() >= 2;
        Map<String, String> options = args.optimizerOptions();
        return switch (args.optimizer()) {
            case AdamW.NAME -> new AdamW(args.adamBeta1(), args.adamBeta2(), args.adamEpsilon(), args.weightDecay(),
                    decayed);
            case Sgd.NAME -> new Sgd(Double.parseDouble(options.getOrDefault("momentum", "0")),
                    Double.parseDouble(options.getOrDefault("dampening", "0")),
                    Boolean.parseBoolean(options.getOrDefault("nesterov", "false")), args.weightDecay(), decayed);
            case MeZo.NAME -> new MeZo(Double.parseDouble(options.getOrDefault("zo_eps", "1e-3")),
                    Integer.parseInt(options.getOrDefault("n_spsa", "1")), args.weightDecay(), decayed);
            default -> throw new InputException("optim '" + args.optim() + "' is not supported");
        };
    }
}
