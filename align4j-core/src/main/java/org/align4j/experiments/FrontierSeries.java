package org.align4j.experiments;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.align4j.model.CausalLM;
import org.align4j.train.TrainerCallback;
import org.align4j.train.TrainerState;

/**
 * The reward/KL series of one trained policy: a {@link TrainerCallback} that evaluates the policy on the held-out
 * prompts ({@link SentimentTask#evaluate}, always with the same sampling seed) every {@code every} steps and at the
 * last step. It starts with the SFT model's point at step 0.
 */
public final class FrontierSeries implements TrainerCallback {
    private final String name;
    private final SentimentTask task;
    private final CausalLM policy;
    private final int every;
    private final long samplingSeed;
    private final PrintStream log;
    private final List<FrontierPoint> points = new ArrayList<>();

    /**
     * A series named {@code name} of {@code policy} (the object the trainer updates), evaluated every {@code every}
     * steps with {@code samplingSeed}, starting from {@code sftPoint}; one line per point to {@code log}.
     */
    public FrontierSeries(String name, SentimentTask task, CausalLM policy, int every, long samplingSeed,
                          FrontierPoint sftPoint, PrintStream log) {
        if (every <= 0) {
            throw new IllegalArgumentException("eval_every must be positive, got " + every);
        }
        this.name = name;
        this.task = task;
        this.policy = policy;
        this.every = every;
        this.samplingSeed = samplingSeed;
        this.log = log;
        points.add(sftPoint);
    }

    @Override
    public void onStepEnd(TrainerState state) {
        long step = state.globalStep();
        if (step % every == 0 || step == state.maxSteps()) {
            add(step);
        }
    }

    /** Evaluates the policy now and adds the point at {@code step}. */
    public FrontierPoint add(long step) {
        FrontierPoint p = FrontierPoint.of(step, task.evaluate(policy, samplingSeed));
        points.add(p);
        log.printf(Locale.ROOT, "  %-22s step %4d: KL %7.3f, reward %.4f%n", name, step, p.kl(), p.reward());
        return p;
    }

    /** The points so far, in step order. */
    public List<FrontierPoint> points() {
        return List.copyOf(points);
    }
}
