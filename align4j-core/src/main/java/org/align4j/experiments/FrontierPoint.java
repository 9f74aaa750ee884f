package org.align4j.experiments;

/**
 * One point of a method's reward/KL series in the sentiment experiment: a policy evaluated on the held-out prompts
 * ({@link SentimentTask#evaluate}).
 *
 * @param step         the training step at which the policy was evaluated (0: the SFT model), or N for best-of-N
 * @param kl           KL(π || π_ref) in nats: the sample estimate, or for best-of-N the analytic log N − (N − 1)/N
 * @param reward       mean ground-truth reward of the samples
 * @param klStdErr     standard error of the KL estimate over samples (0 where it is analytic)
 * @param rewardStdErr standard error of the reward over samples
 */
public record FrontierPoint(long step, double kl, double reward, double klStdErr, double rewardStdErr) {

    /** The point of an evaluation at {@code step}. */
    public static FrontierPoint of(long step, SentimentTask.Evaluation e) {
        return new FrontierPoint(step, e.kl(), e.reward(), e.klStdErr(), e.rewardStdErr());
    }

    /** Whether every number is finite. */
    public boolean finite() {
        return Double.isFinite(kl) && Double.isFinite(reward) && Double.isFinite(klStdErr)
                && Double.isFinite(rewardStdErr);
    }
}
