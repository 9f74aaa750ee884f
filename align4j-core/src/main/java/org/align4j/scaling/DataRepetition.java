package org.align4j.scaling;

/**
 * Repeated training data as Muennighoff et al. (2023), "Scaling Data-Constrained Language Models", eq. 5, value it:
 * D tokens drawn from U unique ones are worth D' = U + U R* (1 − exp(−R / R*)) unique tokens, R = D / U − 1 being
 * the repetitions beyond the first pass (D' = D within one pass). Repeated tokens lose value at rate 1/R*: four epochs
 * are worth about 3.7 fresh ones at R* = 15.4, and no number of epochs more than U (1 + R*). Their law also discounts
 * parameters beyond the compute-optimal size for U tokens (R*_N); that part is not modelled here.
 *
 * @param uniqueTokens U, the unique tokens the runs draw from ({@code +∞}: every token is unique)
 * @param decay        R*_D, the repetitions at which a repeated token's value has fallen to 1/e
 */
public record DataRepetition(double uniqueTokens, double decay) {
    /** R*_D as Muennighoff et al. fitted it (15.387756, their released fit). */
    public static final double MUENNIGHOFF_DECAY = 15.387756;

    /** Checks U and R* are positive. */
    public DataRepetition {
        if (!(uniqueTokens > 0) || !(decay > 0) || !Double.isFinite(decay)) {
            throw new IllegalArgumentException("unique tokens and R*_D must be positive, got " + uniqueTokens + ", "
                    + decay);
        }
    }

    /** Every token unique: D' = D. */
    public static DataRepetition none() {
        return new DataRepetition(Double.POSITIVE_INFINITY, MUENNIGHOFF_DECAY);
    }

    /** Whether any run can repeat data (U is finite). */
    public boolean modelled() {
        return Double.isFinite(uniqueTokens);
    }

    /** D' for D tokens seen. */
    public double effectiveTokens(double tokens) {
        if (tokens <= uniqueTokens) {
            return tokens;
        }
        double repetitions = tokens / uniqueTokens - 1;
        return uniqueTokens + uniqueTokens * decay * -Math.expm1(-repetitions / decay);
    }

    /** The run with D replaced by D' (N, C and the loss unchanged). */
    public TrainingRun effective(TrainingRun run) {
        return new TrainingRun(run.parameters(), effectiveTokens(run.tokens()), run.compute(), run.loss(),
                run.source());
    }
}
