package org.align4j.experiments;

import java.util.List;
import java.util.Map;

/**
 * What {@link MezoExperiment} measured, written as {@code mezo.json} (snake_case names).
 *
 * @param question       what the experiment asks
 * @param budget         the budget (smoke, small, full)
 * @param seed           seed of initialisation, data order, samples and MeZO's directions
 * @param parameters     parameters of the model every run trains
 * @param modelConfig    its config.json
 * @param start          the shared starting point of every run
 * @param tasks          {@code sft} and {@code dpo}
 * @param runtimeSeconds wall-clock time of the whole experiment
 */
public record MezoExperimentResult(String question, String budget, long seed, long parameters,
                                   Map<String, Object> modelConfig, Start start, Map<String, TaskResult> tasks,
                                   double runtimeSeconds) {

    /**
     * The starting model of every run: the random initialisation after {@code steps} AdamW SFT steps.
     *
     * @param steps          warm-up SFT steps (AdamW, the demo's settings)
     * @param evalLossBefore held-out SFT loss at initialisation
     * @param evalLossAfter  held-out SFT loss of the starting model
     * @param seconds        wall-clock time of the warm-up
     */
    public record Start(int steps, double evalLossBefore, double evalLossAfter, double seconds) {
    }

    /**
     * One task (SFT or DPO) trained from the same start by each optimizer.
     *
     * @param description              the data and the loss
     * @param trainExamples            training sequences (SFT: packed rows) or preference pairs
     * @param evalExamples             held-out sequences or pairs
     * @param forwardOnlyPeakHeapBytes peak heap of a forward-only pass (the trainer's evaluation) over the held-out
     *                                 set, batches as in training
     * @param runs                     each optimizer run by name
     */
    public record TaskResult(String description, int trainExamples, int evalExamples, long forwardOnlyPeakHeapBytes,
                             Map<String, RunResult> runs) {
    }

    /**
     * One optimizer's run.
     *
     * @param optim          the {@code optim} name
     * @param learningRate   peak learning rate
     * @param scheduler      {@code lr_scheduler_type}
     * @param zoEps          MeZO's ε (null for AdamW)
     * @param steps          optimizer steps
     * @param batchSize      sequences (or pairs) per step
     * @param training       the logged training loss of each logging window
     * @param evaluations    held-out loss during training, from step 0
     * @param trainSeconds   training time without evaluations
     * @param peakHeapBytes  peak heap over the run (evaluations included)
     */
    public record RunResult(String optim, double learningRate, String scheduler, Double zoEps, int steps,
                            int batchSize, List<Point> training, List<Point> evaluations, double trainSeconds,
                            long peakHeapBytes) {
        /** Training seconds per optimizer step. */
        public double secondsPerStep() {
            return trainSeconds / steps;
        }

        /** The last held-out loss. */
        public double finalEvalLoss() {
            return evaluations.getLast().loss();
        }
    }

    /**
     * A loss at a step.
     *
     * @param step    the optimizer step
     * @param seconds training wall-clock seconds up to that step (evaluations excluded)
     * @param loss    the loss (training: mean over the logging window; held-out: the trainer's eval_loss)
     */
    public record Point(long step, double seconds, double loss) {
    }
}
