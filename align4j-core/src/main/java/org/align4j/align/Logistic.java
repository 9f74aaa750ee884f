package org.align4j.align;

/**
 * The logistic sigmoid and its relatives in double precision, written to stay finite for any finite argument
 * (PyTorch's {@code torch.sigmoid}, {@code F.logsigmoid} and {@code F.softplus} semantics).
 */
public final class Logistic {
    private Logistic() {
    }

    /** σ(x) = 1 / (1 + e^-x). */
    public static double sigmoid(double x) {
        if (x >= 0) {
            return 1 / (1 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1 + e);
    }

    /** softplus(x) = log(1 + e^x). */
    public static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    /** log σ(x) = -softplus(-x). */
    public static double logSigmoid(double x) {
        return -softplus(-x);
    }

    /** σ'(x) = σ(x) σ(-x). */
    public static double sigmoidDerivative(double x) {
        return sigmoid(x) * sigmoid(-x);
    }
}
