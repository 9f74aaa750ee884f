package org.align4j.experiments;

import java.util.List;
import java.util.Map;

/**
 * What {@link DiceExperiment} measured, written as {@code dice.json} (snake_case names).
 *
 * @param question       what the experiment asks
 * @param budget         the budget (smoke, small, full)
 * @param seed           the seed of prompts, SFT, sampling and training
 * @param setup          the sizes and options every variant shares
 * @param sft            the SFT model (π_ref) on the held-out prompts: the baseline below round 0
 * @param variants       each DICE variant by name ({@code dice}, {@code no-length-reg}, {@code no-replay}), its
 *                       rounds from 0 (the shared DPO model π_0)
 * @param verdict        whether full DICE improved over round 0, computed from the measurements
 * @param informativeVerdict whether DICE improved over an informative round 0 (the variant
 *                       {@value DiceExperiment#INFORMATIVE}), and whether its premise held there
 * @param runtimeSeconds wall-clock time of the whole experiment
 */
public record DiceExperimentResult(String question, String budget, long seed, Setup setup, RoundPoint sft,
                                   Map<String, VariantResult> variants, Verdict verdict, Verdict informativeVerdict,
                                   double runtimeSeconds) {

    /**
     * The shared setup.
     *
     * @param sftSteps           SFT steps of the embedded model
     * @param sftHeldOutLoss     its held-out language-model loss
     * @param trainPrompts       training prompts (offline pairs are built on them; DICE samples for every one)
     * @param replayPairs        offline pairs in DICE's replay pool (the first pair of each training prompt)
     * @param heldOutPrompts     held-out prompts (every evaluation)
     * @param offlinePairs       offline preference pairs (appendix C.1, labelled by the ground truth)
     * @param evalSamplesPerPrompt completions (and responses) sampled per held-out prompt at each evaluation
     * @param completionTokens   tokens of the task's completions (reward and KL evaluation)
     * @param responseTokens     longest response (DICE samples, win rates, lengths)
     * @param stopTokens         the ids that end a response: eos and the sentence ends
     * @param beta               DPO's β (round 0 and every DICE round)
     * @param learningRate       DPO learning rate (constant)
     * @param batchSize          pairs per DPO step
     * @param round0Steps        DPO steps of round 0
     * @param roundSteps         DPO steps of each DICE round
     * @param rounds             DICE rounds
     * @param samplesPerPrompt   DICE's K
     * @param minValidSamples    prompts with fewer ended responses give no generated pair (K/2)
     * @param informativeTrainPrompts prompts of the informative round 0's offline pairs (the training prompts and
     *                           more)
     * @param informativeOfflinePairs its offline pairs
     * @param informativeRound0Steps  its DPO steps
     */
    public record Setup(int sftSteps, double sftHeldOutLoss, int trainPrompts, int replayPairs, int heldOutPrompts,
                        int offlinePairs, int evalSamplesPerPrompt, int completionTokens, int responseTokens,
                        List<Integer> stopTokens, double beta, double learningRate, int batchSize, int round0Steps,
                        int roundSteps, int rounds, int samplesPerPrompt, int minValidSamples,
                        int informativeTrainPrompts, int informativeOfflinePairs, int informativeRound0Steps) {
    }

    /**
     * One policy on the held-out prompts.
     *
     * @param round              the round (0: π_0, the DPO model; −1 for the SFT model)
     * @param reward             mean ground-truth reward of the task's completions ({@link SentimentTask#evaluate})
     * @param rewardStdErr       its standard error
     * @param kl                 KL(π || π_SFT) estimate, nats per sequence
     * @param klStdErr           its standard error
     * @param winRate            share of held-out comparisons whose response has a higher ground truth than
     *                           π_0's response to the same prompt (ties count one half)
     * @param winRateStdErr      its standard error over comparisons
     * @param responseReward     mean ground-truth reward of the responses of the win-rate comparison
     * @param meanResponseTokens mean response length in tokens (the stop token excluded)
     * @param meanResponseChars  mean response length in characters (code points, the stop token excluded)
     * @param endedShare         share of responses that ended with a stop token within the response limit
     * @param implicitAccuracy   DICE's premise: the share of held-out response pairs (SFT samples labelled by the
     *                           ground truth) that the round's implicit reward log π_k − log π_(k−1) ranks as the
     *                           ground truth does (1/2 for a tie; π_(−1) is the SFT model; NaN for the SFT model
     *                           itself); above 1/2 the next round's pairs are better than chance
     * @param implicitAccuracyStdErr its standard error over pairs
     * @param cached             whether the model was read from an earlier run in the output folder (same budget and
     *                           seed) rather than trained by this one; its evaluation is always this run's
     * @param dice               what the DICE round did (null for round 0 and the SFT model)
     */
    public record RoundPoint(int round, double reward, double rewardStdErr, double kl, double klStdErr,
                             double winRate, double winRateStdErr, double responseReward, double meanResponseTokens,
                             double meanResponseChars, double endedShare, double implicitAccuracy,
                             double implicitAccuracyStdErr, boolean cached, DiceStats dice) {
    }

    /**
     * DICE's own statistics of a round ({@link org.align4j.align.dice.DiceRound}).
     *
     * @param alpha                the length-regularisation α the sweep chose
     * @param pairs                generated pairs at that α
     * @param chosenCharsBefore    mean chosen length at α = 0 (characters)
     * @param rejectedCharsBefore  mean rejected length at α = 0
     * @param chosenCharsAfter     mean chosen length at the chosen α
     * @param rejectedCharsAfter   mean rejected length at the chosen α
     * @param nGen                 generated pairs in the mix
     * @param nOff                 offline pairs asked for
     * @param offlineTaken         offline pairs in the mix
     * @param endedSamples         sampled responses that ended within the limit
     * @param samples              responses sampled
     */
    public record DiceStats(double alpha, int pairs, double chosenCharsBefore, double rejectedCharsBefore,
                            double chosenCharsAfter, double rejectedCharsAfter, int nGen, int nOff, int offlineTaken,
                            int endedSamples, int samples) {
    }

    /**
     * One variant.
     *
     * @param description    what it changes
     * @param gamma          experience replay's γ
     * @param alphaGrid      the α grid, as text
     * @param rounds         its round 0 and the DICE rounds it completed
     * @param stopped        why it stopped before the planned rounds (a round without a pair to train on), or null
     * @param runtimeSeconds its DICE rounds and evaluations
     */
    public record VariantResult(String description, double gamma, String alphaGrid, List<RoundPoint> rounds,
                                String stopped, double runtimeSeconds) {
        /** The last round. */
        public RoundPoint last() {
            return rounds.getLast();
        }
    }

    /**
     * A variant's last round against its round 0, and DICE's premise there.
     *
     * @param rewardRound0    round 0's mean ground-truth reward
     * @param rewardLast      full DICE's last round's
     * @param rewardGain      their difference
     * @param rewardGainStdErr its standard error (the two evaluations taken as independent)
     * @param winRateLast     the last round's win rate against π_0
     * @param winRateStdErr   its standard error
     * @param improved        reward gain above two standard errors and win rate above one half
     * @param worse           reward gain below minus two standard errors
     * @param premiseAccuracy round 0's implicit-reward accuracy on the held-out pairs (what round 1 ranks with)
     * @param premiseStdErr   its standard error
     * @param premiseHeld     that accuracy above 1/2 by more than two standard errors
     * @param lastRound       the last round completed
     */
    public record Verdict(double rewardRound0, double rewardLast, double rewardGain, double rewardGainStdErr,
                          double winRateLast, double winRateStdErr, boolean improved, boolean worse,
                          double premiseAccuracy, double premiseStdErr, boolean premiseHeld, int lastRound) {
    }
}
