package org.align4j.scaling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Approach 2 of Hoffmann et al. (2022), Section 3.2: runs are grouped into IsoFLOP profiles (the same training
 * compute C, different sizes N); a parabola in log N is fitted to each profile's loss, its vertex giving the
 * compute-optimal N_opt(C) (and D_opt = C / 6N_opt); power laws N_opt ∝ C^a and D_opt ∝ C^b are fitted through the
 * vertices that fall strictly inside the sizes sampled (Hoffmann et al. find a = 0.49, b = 0.51). A vertex at or
 * beyond the smallest or largest size sampled locates no optimum: the profile says where it lies and stays out of the
 * power laws. The interval of a comes from a bootstrap over the runs: each profile's runs are resampled with
 * replacement, the parabolas, their interior vertices and the power law refitted; b = 1 − a exactly (D_opt =
 * C / 6N_opt), so its interval is the mirror image.
 *
 * @param profiles            the profiles, by increasing compute
 * @param parametersVsCompute N_opt = k C^a through the interior vertices (null with fewer than two)
 * @param tokensVsCompute     D_opt = k C^b through the interior vertices (null with fewer than two)
 * @param parameterExponent   a with its bootstrap interval (null with fewer than two interior vertices)
 * @param bootstrapFits       bootstrap resamples that had two or more interior vertices and so gave an a
 */
public record IsoFlopAnalysis(List<Profile> profiles, PowerLaw parametersVsCompute, PowerLaw tokensVsCompute,
                              Estimate parameterExponent, int bootstrapFits) {

    /** Where a profile's parabola has its minimum, against the sizes the profile sampled. */
    public enum MinimumPosition {
        /** Strictly between the smallest and the largest size: the profile locates its optimum. */
        INTERIOR("minimum inside the sizes swept"),
        /** At or below the smallest size: the optimum may be smaller still. */
        BELOW_SMALLEST("minimum at or below the smallest size swept"),
        /** At or above the largest size: the optimum may be larger still. */
        ABOVE_LARGEST("minimum at or above the largest size swept"),
        /** The parabola opens downward (c₂ ≤ 0): it has no minimum. */
        NO_MINIMUM("no minimum (the parabola opens downward)");

        private final String description;

        MinimumPosition(String description) {
            this.description = description;
        }

        /** A few words for reports. */
        public String description() {
            return description;
        }
    }

    /**
     * One IsoFLOP profile and its parabola L ≈ c₀ + c₁ x + c₂ x² in x = ln N.
     *
     * @param compute           the geometric mean of its runs' compute
     * @param runs              its runs, by increasing N
     * @param c0                c₀
     * @param c1                c₁
     * @param c2                c₂ (a minimum needs c₂ &gt; 0)
     * @param optimalParameters N at the vertex, exp(−c₁ / 2c₂) (NaN when c₂ ≤ 0), inside the sizes sampled or not
     * @param optimalTokens     C / (6 N_opt)
     * @param minimumLoss       the parabola's value at the vertex
     * @param position          where the vertex lies against the sizes sampled
     */
    public record Profile(double compute, List<TrainingRun> runs, double c0, double c1, double c2,
                          double optimalParameters, double optimalTokens, double minimumLoss,
                          MinimumPosition position) {
        /** The parabola's loss at N. */
        public double loss(double parameters) {
            double x = Math.log(parameters);
            return c0 + c1 * x + c2 * x * x;
        }

        /** Whether the vertex is a minimum strictly inside the sizes sampled. */
        public boolean interior() {
            return position == MinimumPosition.INTERIOR;
        }
    }

    /**
     * Groups {@code runs} into profiles: sorted by log₁₀ C, a profile continues while consecutive runs are within
     * {@code gapDecades} of each other; profiles with fewer than {@code minRuns} runs or fewer than three distinct
     * sizes are dropped (they fix no parabola). Fits the power laws through the interior vertices, and refits them on
     * {@code bootstrapSamples} resamples (seeded by {@code seed}; 0 for none) for the interval of a.
     */
    public static IsoFlopAnalysis fit(List<TrainingRun> runs, double gapDecades, int minRuns, int bootstrapSamples,
                                      long seed) {
        List<TrainingRun> sorted = new ArrayList<>(runs);
        sorted.sort(Comparator.comparingDouble(TrainingRun::compute));
        List<List<TrainingRun>> groups = new ArrayList<>();
        List<TrainingRun> group = new ArrayList<>();
        for (TrainingRun r : sorted) {
            if (!group.isEmpty() && Math.log10(r.compute()) - Math.log10(group.getLast().compute()) > gapDecades) {
                addGroup(group, minRuns, groups);
                group = new ArrayList<>();
            }
            group.add(r);
        }
        addGroup(group, minRuns, groups);
        List<Profile> profiles = groups.stream().map(IsoFlopAnalysis::profile).toList();
        PowerLaw nOpt = parametersVsCompute(profiles);
        if (nOpt == null) {
            return new IsoFlopAnalysis(profiles, null, null, null, 0);
        }
        List<Profile> interior = profiles.stream().filter(Profile::interior).toList();
        PowerLaw dOpt = PowerLaw.fit(interior.stream().mapToDouble(Profile::compute).toArray(),
                interior.stream().mapToDouble(Profile::optimalTokens).toArray());
        double[] exponents = new double[bootstrapSamples];
        SplittableRandom root = new SplittableRandom(seed);
        for (int s = 0; s < bootstrapSamples; s++) {
            SplittableRandom rng = root.split();
            List<Profile> resampled = new ArrayList<>();
            for (List<TrainingRun> g : groups) {
                List<TrainingRun> draw = new ArrayList<>(g.size());
                for (int i = 0; i < g.size(); i++) {
                    draw.add(g.get(rng.nextInt(g.size())));
                }
                if (distinctSizes(draw) >= 3) {
                    resampled.add(profile(draw));
                }
            }
            PowerLaw law = parametersVsCompute(resampled);
            exponents[s] = law == null ? Double.NaN : law.exponent();
        }
        Estimate a = Estimate.withBootstrap(nOpt.exponent(), exponents);
        int fits = (int) Arrays.stream(exponents).filter(Double::isFinite).count();
        return new IsoFlopAnalysis(profiles, nOpt, dOpt, a, fits);
    }

    /** b with the mirror image of a's interval (b = 1 − a); null where a is. */
    public Estimate tokenExponent() {
        return parameterExponent == null ? null : new Estimate(1 - parameterExponent.value(),
                1 - parameterExponent.upper(), 1 - parameterExponent.lower(), parameterExponent.standardError());
    }

    /** Whether every profile has its minimum strictly inside its sizes (false when there is no profile). */
    public boolean everyMinimumInterior() {
        return !profiles.isEmpty() && profiles.stream().allMatch(Profile::interior);
    }

    private static PowerLaw parametersVsCompute(List<Profile> profiles) {
        List<Profile> interior = profiles.stream().filter(Profile::interior).toList();
        if (interior.stream().mapToDouble(Profile::compute).distinct().count() < 2) {
            return null;
        }
        return PowerLaw.fit(interior.stream().mapToDouble(Profile::compute).toArray(),
                interior.stream().mapToDouble(Profile::optimalParameters).toArray());
    }

    private static long distinctSizes(List<TrainingRun> runs) {
        return runs.stream().mapToDouble(TrainingRun::parameters).distinct().count();
    }

    private static void addGroup(List<TrainingRun> group, int minRuns, List<List<TrainingRun>> groups) {
        if (group.size() >= Math.max(3, minRuns) && distinctSizes(group) >= 3) {
            groups.add(List.copyOf(group));
        }
    }

    /** The parabola through one profile's runs (least squares, in ln N centred for conditioning). */
    static Profile profile(List<TrainingRun> group) {
        List<TrainingRun> runs = new ArrayList<>(group);
        runs.sort(Comparator.comparingDouble(TrainingRun::parameters));
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
        if (!(q[2] > 0)) {
            return new Profile(compute, List.copyOf(runs), c0, c1, c2, Double.NaN, Double.NaN, Double.NaN,
                    MinimumPosition.NO_MINIMUM);
        }
        double vertex = centre - q[1] / (2 * q[2]);
        double nOpt = Math.exp(vertex);
        double minimum = q[0] + q[1] * (vertex - centre) + q[2] * (vertex - centre) * (vertex - centre);
        MinimumPosition position = nOpt <= runs.getFirst().parameters() ? MinimumPosition.BELOW_SMALLEST
                : nOpt >= runs.getLast().parameters() ? MinimumPosition.ABOVE_LARGEST : MinimumPosition.INTERIOR;
        return new Profile(compute, List.copyOf(runs), c0, c1, c2, nOpt, compute / (6 * nOpt), minimum, position);
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
