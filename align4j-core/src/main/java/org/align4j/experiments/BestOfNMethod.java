package org.align4j.experiments;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.align4j.align.reward.BestOfN;

/**
 * Best-of-N against the learned reward model ({@link BestOfN}; Stiennon et al. 2020): N completions of each held-out
 * prompt sampled from the SFT model, the one the reward model rates highest judged by the ground truth. One
 * {@link BestOfN} draw of {@code maxN} candidates per prompt (repeated {@code draws} times) serves every N = 1, 2, 4,
 * ..., maxN: the best of its first N candidates is a best-of-N sample, since the candidates are independent. The KL
 * of each point is the analytic log N − (N − 1)/N of best-of-N against its base policy (Stiennon et al. 2020,
 * appendix; an upper bound on the exact KL), not a sample estimate. The point's step is N.
 *
 * @param maxN  the largest N (a power of two)
 * @param draws best-of-N draws per held-out prompt
 */
public record BestOfNMethod(int maxN, int draws) implements FrontierMethod {
    /** Rows per reward-model batch. */
    private static final int SCORE_BATCH = 64;

    /** Checks that maxN is a power of two and draws positive. */
    public BestOfNMethod {
        if (maxN <= 0 || Integer.bitCount(maxN) != 1 || draws <= 0) {
            throw new IllegalArgumentException("best-of-N needs a power-of-two maxN and draws > 0, got " + maxN + ", "
                    + draws);
        }
    }

    /** log N − (N − 1)/N, the KL of best-of-N from its base policy (nats). */
    public static double analyticKl(int n) {
        return Math.log(n) - (n - 1.0) / n;
    }

    @Override
    public String name() {
        return "best-of-n";
    }

    @Override
    public String family() {
        return "Best-of-N";
    }

    @Override
    public String description() {
        return String.format(Locale.ROOT, "best of N SFT samples by the learned reward model, N = 1 .. %d; KL ="
                + " log N - (N-1)/N (analytic)", maxN);
    }

    @Override
    public List<FrontierPoint> run(MethodContext context) {
        SentimentTask task = context.task();
        List<int[]> heldOut = task.heldOutPrompts();
        int[][] prompts = new int[heldOut.size() * draws][];
        for (int i = 0; i < prompts.length; i++) {
            prompts[i] = heldOut.get(i / draws);
        }
        List<BestOfN.Choice> choices = new BestOfN(task.reference(),
                BestOfN.rewardModel(context.rewardModel(), SCORE_BATCH), maxN, task.sampling(context.evalSeed()))
                .sample(prompts);
        List<double[]> truths = new ArrayList<>(choices.size());
        for (BestOfN.Choice c : choices) {
            truths.add(c.candidates().stream().mapToDouble(x -> task.groundTruth(x.completion())).toArray());
        }
        List<FrontierPoint> points = new ArrayList<>();
        for (int n = 1; n <= maxN; n *= 2) {
            double[] rewards = new double[choices.size()];
            for (int i = 0; i < rewards.length; i++) {
                List<BestOfN.Candidate> candidates = choices.get(i).candidates();
                int best = 0;
                for (int k = 1; k < n; k++) {
                    if (candidates.get(k).reward() > candidates.get(best).reward()) {
                        best = k;
                    }
                }
                rewards[i] = truths.get(i)[best];
            }
            FrontierPoint p = new FrontierPoint(n, analyticKl(n), SentimentTask.mean(rewards), 0,
                    SentimentTask.stdErr(rewards));
            points.add(p);
            context.log().printf(Locale.ROOT, "  %-22s N %4d: KL %7.3f, reward %.4f%n", name(), n, p.kl(), p.reward());
        }
        return points;
    }
}
