package org.align4j.scaling;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Approach 2 of Hoffmann et al. (2022), Section 3.2: runs are grouped into IsoFLOP profiles (the same training
 * compute C, different sizes N); a parabola in log N is fitted to each profile's loss, its vertex giving the
 * compute-optimal N_opt(C) (and D_opt = C / 6N_opt); power laws N_opt ∝ C^a and D_opt ∝ C^b are fitted through the
 * vertices that fall inside the sizes sampled (Hoffmann et al. find a = 0.49, b = 0.51).
 *
 * @param profiles           the profiles, by increasing compute
 * @param parametersVsCompute N_opt = k C^a through the interior vertices (null with fewer than two)
 * @param tokensVsCompute     D_opt = k C^b through the interior vertices (null with fewer than two)
 */
public record IsoFlopAnalysis(List<Profile> profiles, PowerLaw parametersVsCompute, PowerLaw tokensVsCompute) {

    /**
     * One IsoFLOP profile and its parabola L ≈ c₀ + c₁ x + c₂ x² in x = ln N.
     *
     * @param compute            the geometric mean of its runs' compute
     * @param runs               its runs, by increasing N
     * @param c0                 c₀
     * @param c1                 c₁
     * @param c2                 c₂ (a minimum needs c₂ &gt; 0)
     * @param optimalParameters  N at the vertex, exp(−c₁ / 2c₂) (NaN when c₂ ≤ 0)
     * @param optimalTokens      C / (6 N_opt)
     * @param minimumLoss        the parabola's value at the vertex
     * @param interior           whether the vertex is a minimum within the sampled sizes
     */
    public record Profile(double compute, List<TrainingRun> runs, double c0, double c1, double c2,
                          double optimalParameters, double optimalTokens, double minimumLoss, boolean interior) {
        /** The parabola's loss at N. */
        public double loss(double parameters) {
            double x = Math.log(parameters);
            return c0 + c1 * x + c2 * x * x;
        }
    }

    /**
     * Groups {@code runs} into profiles: sorted by log₁₀ C, a profile continues while consecutive runs are within
     * {@code gapDecades} of each other; profiles with fewer than {@code minRuns} runs or fewer than three distinct
     * sizes are dropped (they fix no parabola).
     */
    public static IsoFlopAnalysis fit(List<TrainingRun> runs, double gapDecades, int minRuns) {
        List<TrainingRun> sorted = new ArrayList<>(runs);
        sorted.sort(Comparator.comparingDouble(TrainingRun::compute));
        List<Profile> profiles = new ArrayList<>();
        List<TrainingRun> group = new ArrayList<>();
        for (TrainingRun r : sorted) {
            if (!group.isEmpty() && Math.log10(r.compute()) - Math.log10(group.getLast().compute()) > gapDecades) {
                addProfile(group, minRuns, profiles);
                group = new ArrayList<>();
            }
            group.add(r);
        }
        addProfile(group, minRuns, profiles);
        List<Profile> interior = profiles.stream().filter(Profile::interior).toList();
        PowerLaw nOpt = null;
        PowerLaw dOpt = null;
        if (interior.size() >= 2) {
            double[] c = interior.stream().mapToDouble(Profile::compute).toArray();
            nOpt = PowerLaw.fit(c, interior.stream().mapToDouble(Profile::optimalParameters).toArray());
            dOpt = PowerLaw.fit(c, interior.stream().mapToDouble(Profile::optimalTokens).toArray());
        }
        return new IsoFlopAnalysis(List.copyOf(profiles), nOpt, dOpt);
    }

    private static void addProfile(List<TrainingRun> group, int minRuns, List<Profile> profiles) {
        long sizes = group.stream().mapToDouble(TrainingRun::parameters).distinct().count();
        if (group.size() >= Math.max(3, minRuns) && sizes >= 3) {
            profiles.add(profile(group));
        }
    }

    /** The parabola through one profile's runs (least squares, in ln N centred for conditioning). */
    static Profile profile(List<TrainingRun> group) {
        List<TrainingRun> runs = new ArrayList<>(group);
        runs.sort(Comparator.comparingDouble(TrainingRun::parameters));
        int n = runs.size();
        double centre = runs.stream().mapToDouble(r -> Math.log(r.parameters())).average().orElseThrow();
        double logCompute = runs.stream().mapToDouble(r -> Math.log(r.compute())).average().orElseThrow();
        double[][] normal = new double[3][4];
        for (TrainingRun r : runs) {
            double t = Math.log(r.parameters()) - centre;
            double[] basis = {1, t, t * t};
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    normal[i][j] += basis[i] * basis[j];
                }
                normal[i][3] += basis[i] * r.loss();
            }
        }
        double[] q = solve3(normal);
        // L = q0 + q1 t + q2 t² with t = x − centre; expand to x.
        double c2 = q[2];
        double c1 = q[1] - 2 * q[2] * centre;
        double c0 = q[0] - q[1] * centre + q[2] * centre * centre;
        double compute = Math.exp(logCompute);
        double nOpt = Double.NaN;
        double dOpt = Double.NaN;
        double minimum = Double.NaN;
        boolean interior = false;
        if (q[2] > 0) {
            double vertex = centre - q[1] / (2 * q[2]);
            nOpt = Math.exp(vertex);
            dOpt = compute / (6 * nOpt);
            minimum = q[0] + q[1] * (vertex - centre) + q[2] * (vertex - centre) * (vertex - centre);
            interior = nOpt >= runs.getFirst().parameters() && nOpt <= runs.get(n - 1).parameters();
        }
        return new Profile(compute, List.copyOf(runs), c0, c1, c2, nOpt, dOpt, minimum, interior);
    }

    /** Gaussian elimination with partial pivoting on a 3 × 4 augmented matrix. */
    private static double[] solve3(double[][] m) {
        for (int col = 0; col < 3; col++) {
            int pivot = col;
            for (int row = col + 1; row < 3; row++) {
                if (Math.abs(m[row][col]) > Math.abs(m[pivot][col])) {
                    pivot = row;
                }
            }
            double[] swap = m[col];
            m[col] = m[pivot];
            m[pivot] = swap;
            for (int row = col + 1; row < 3; row++) {
                double factor = m[row][col] / m[col][col];
                for (int k = col; k < 4; k++) {
                    m[row][k] -= factor * m[col][k];
                }
            }
        }
        double[] x = new double[3];
        for (int row = 2; row >= 0; row--) {
            double sum = m[row][3];
            for (int k = row + 1; k < 3; k++) {
                sum -= m[row][k] * x[k];
            }
            x[row] = sum / m[row][row];
        }
        return x;
    }
}
