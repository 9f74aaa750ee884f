package org.align4j.scaling;

import org.align4j.InputException;

/**
 * One training run of a scaling study: model size N, training tokens D, training compute C and final loss L, the
 * quantities of Kaplan et al. (2020) and Hoffmann et al. (2022). C is taken as 6ND where a source gives only N and D.
 *
 * @param parameters N, parameters counted as the study counts them (Chinchilla: all; Kaplan: non-embedding)
 * @param tokens     D, training tokens
 * @param compute    C, training FLOPs
 * @param loss       L, final (held-out) loss in nats per token
 * @param source     where the run came from ({@code file:line}, or a run name), for messages
 */
public record TrainingRun(double parameters, double tokens, double compute, double loss, String source) {
    /** Checks every quantity is a positive finite number. */
    public TrainingRun {
        requirePositive(parameters, "parameters N", source);
        requirePositive(tokens, "tokens D", source);
        requirePositive(compute, "compute C", source);
        requirePositive(loss, "loss", source);
    }

    /** A run of N parameters on D tokens, with C = 6ND. */
    public static TrainingRun of(double parameters, double tokens, double loss, String source) {
        return new TrainingRun(parameters, tokens, 6 * parameters * tokens, loss, source);
    }

    private static void requirePositive(double value, String name, String source) {
        if (!(value > 0) || !Double.isFinite(value)) {
            throw new InputException(source + ": " + name + " must be a positive number, got " + value);
        }
    }
}
