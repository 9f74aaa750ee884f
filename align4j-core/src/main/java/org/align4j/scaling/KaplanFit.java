package org.align4j.scaling;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The laws of Kaplan et al. (2020) fitted to a set of runs. Their L(N), L(D) and L(C) (eq. 1.1–1.3) describe the
 * best loss reachable when only N, only D or only C limits it, so each is fitted (least squares in log-log) to the
 * lower envelope of the runs along that variable: the runs whose loss is below that of every run with a smaller
 * value of it (Kaplan et al.'s Figure 1 draws L(C) on this envelope). L(N, D) (eq. 1.5) is fitted to all runs with
 * the Huber objective of Hoffmann et al. in log space, from the one-variable fits and a grid of starts. A
 * one-variable law is null when its envelope has a single run (the loss never fell as the variable grew).
 *
 * @param lossVsParameters L(N) = (N_c / N)^α_N on the envelope along N
 * @param lossVsTokens     L(D) = (D_c / D)^α_D on the envelope along D
 * @param lossVsCompute    L(C) = (C_c / C)^α_C on the envelope along C
 * @param joint            L(N, D) of eq. 1.5
 * @param jointObjective   the Huber objective of the joint fit
 */
public record KaplanFit(PowerLaw lossVsParameters, PowerLaw lossVsTokens, PowerLaw lossVsCompute, KaplanLaw joint,
                        double jointObjective) {

    /** Fits the four laws to {@code runs} (the joint law with Huber threshold {@code delta}). */
    public static KaplanFit fit(List<TrainingRun> runs, double delta) {
        PowerLaw ofN = envelopeFit(runs, TrainingRun::parameters);
        PowerLaw ofD = envelopeFit(runs, TrainingRun::tokens);
        PowerLaw ofC = envelopeFit(runs, TrainingRun::compute);
        double[] first = ofN != null && ofD != null
                ? new double[] {Math.log(ofN.kaplanScale()), Math.log(ofD.kaplanScale()), ofN.kaplanExponent(),
                        ofD.kaplanExponent()}
                : new double[] {30, 30, 0.1, 0.1};
        List<double[]> starts = KaplanLaw.startGrid(first).stream().filter(KaplanFit::finite).toList();
        HuberLogLossFit.Result joint = HuberLogLossFit.fit(KaplanLaw.MODEL, runs, starts, delta);
        return new KaplanFit(ofN, ofD, ofC, KaplanLaw.fromTheta(joint.theta()), joint.objective());
    }

    private static boolean finite(double[] theta) {
        for (double v : theta) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return theta[3] > 0;
    }

    /**
     * The runs on the lower envelope of loss along {@code x}: sorted by x, each run whose loss is lower than that of
     * every run before it.
     */
    public static List<TrainingRun> lowerEnvelope(List<TrainingRun> runs, ToDoubleFunction<TrainingRun> x) {
        List<TrainingRun> sorted = new ArrayList<>(runs);
        sorted.sort(Comparator.comparingDouble(x).thenComparingDouble(TrainingRun::loss));
        List<TrainingRun> envelope = new ArrayList<>();
        double best = Double.POSITIVE_INFINITY;
        for (TrainingRun r : sorted) {
            if (r.loss() < best) {
                envelope.add(r);
                best = r.loss();
            }
        }
        return envelope;
    }

    private static PowerLaw envelopeFit(List<TrainingRun> runs, ToDoubleFunction<TrainingRun> x) {
        List<TrainingRun> envelope = lowerEnvelope(runs, x);
        if (envelope.size() < 2) {
            return null;
        }
        return PowerLaw.fit(envelope.stream().mapToDouble(x).toArray(),
                envelope.stream().mapToDouble(TrainingRun::loss).toArray());
    }
}
