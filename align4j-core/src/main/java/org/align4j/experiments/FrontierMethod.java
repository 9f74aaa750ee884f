package org.align4j.experiments;

import java.io.IOException;
import java.util.List;

/**
 * A method of the sentiment experiment ({@link SentimentExperiment}): starting from the SFT model, it produces a series
 * of (step, KL, reward) points on the held-out prompts. A trained method adds the context's
 * {@link MethodContext#series series} to its trainer as a callback, which evaluates the policy every
 * {@code eval_every} steps; a sampling method (best-of-N) evaluates itself. Methods of one {@link #family} (DPO at
 * several β, PPO at several target KLs) form one frontier in the comparison.
 *
 * <p>A PPO method, for instance, would be a record of its target KL and reward source whose {@link #run} loads the
 * policy with {@code context.task().loadSftModel()}, makes {@code FrontierSeries series = context.series(name(),
 * policy)}, rewards rollouts of {@code context.task().trainPrompts()} (sampled with {@code
 * context.task().sampling(seed)}) by {@code context.rewardModel().score(promptPlusCompletionIds)} (PPO) or
 * {@code context.task().groundTruth(completionIds)} (PPO-GT), trains with {@code context.task().reference()} as the
 * KL reference and {@code series} added to its trainer ({@code addCallback}, or {@code series.add(step)} every
 * {@code context.evalEvery()} steps from its own loop), and returns {@code series.points()}; it joins the experiment
 * in {@link SentimentExperiment#defaultMethods}.
 */
public interface FrontierMethod {
    /** The series name, unique in the experiment (e.g. {@code dpo-beta0.1}). */
    String name();

    /** The frontier the series belongs to (e.g. {@code DPO}); the comparison takes the best of a family's series. */
    String family();

    /** One line on what the method does, with its hyper-parameters. */
    String description();

    /**
     * Whether the method is one of the DPO paper's (Fig. 2 left): the claim's verdict compares DPO with those; the
     * methods added since (GRPO, RLOO, KTO, ORPO, SimPO) are placed against DPO and PPO apart.
     */
    default boolean inPaper() {
        return true;
    }

    /** Runs the method and returns its points in step order, the first the SFT model's (step 0) where it trains. */
    List<FrontierPoint> run(MethodContext context) throws IOException;
}
