package org.align4j.align.ppo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The metrics TRL's {@code PPOTrainer} logs after each update, under its names: {@code objective/*} from the rollout
 * (KL, entropy, non-score and RLHF rewards, scores), {@code policy/*}, {@code loss/*} and {@code val/*} from the
 * update's micro-batches, and the schedule's {@code lr}, {@code episode} and {@code kl_coef}.
 */
final class PpoMetrics {
    private PpoMetrics() {
    }

    /**
     * TRL's metrics of one update.
     *
     * @param episode           episodes (rollouts) seen so far
     * @param episodesPerSecond episodes per second since this run started (TRL's {@code eps})
     * @param eosTokenId        the eos id counted in {@code val/num_eos_tokens} (null: none)
     */
    static Map<String, Double> of(PpoRollout rollout, PpoUpdate.Statistics passes, double beta, double lr,
                                  long episode, double episodesPerSecond, Integer eosTokenId) {
        int size = rollout.prompts().length;
        double kl = 0;
        double entropy = 0;
        double nonScore = 0;
        double score = 0;
        int eosTokens = 0;
        for (int b = 0; b < size; b++) {
            for (int t = 0; t < rollout.responses()[b].length; t++) {
                kl += rollout.kl()[b][t];
                entropy -= rollout.logprobs()[b][t];
                nonScore += rollout.nonScore()[b][t];
                if (eosTokenId != null && rollout.responses()[b][t] == eosTokenId) {
                    eosTokens++;
                }
            }
            score += rollout.scores()[b];
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("eps", Math.floor(episodesPerSecond));
        m.put("objective/kl", kl / size);
        m.put("objective/entropy", entropy / size);
        m.put("objective/non_score_reward", nonScore / size);
        m.put("objective/rlhf_reward", nonScore / size + score / size);
        m.put("objective/scores", score / size);
        m.put("policy/approxkl_avg", mean(passes.approxKl()));
        m.put("policy/clipfrac_avg", mean(passes.policyClipFraction()));
        m.put("loss/policy_avg", mean(passes.policyLoss()));
        m.put("loss/value_avg", mean(passes.valueLoss()));
        m.put("val/clipfrac_avg", mean(passes.valueClipFraction()));
        m.put("policy/entropy_avg", mean(passes.entropy()));
        m.put("val/ratio", mean(passes.ratio()));
        m.put("val/ratio_var", unbiasedVariance(passes.ratio()));
        m.put("val/num_eos_tokens", (double) eosTokens);
        m.put("lr", lr);
        m.put("episode", (double) episode);
        m.put("kl_coef", beta);
        return m;
    }

    static double mean(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    }

    static double unbiasedVariance(List<Double> values) {
        if (values.size() < 2) {
            return 0;
        }
        double mean = mean(values);
        return values.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum() / (values.size() - 1);
    }
}
