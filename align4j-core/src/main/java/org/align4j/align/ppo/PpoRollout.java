package org.align4j.align.ppo;

/**
 * A sampled batch and what PPO derives from it, per response token (TRL's rollout phase after generation): the
 * policy's log-probabilities and the value model's values at sampling time, the scores, KL penalties, advantages and
 * returns that the update trains on.
 *
 * @param kl       the KL estimate of each token
 * @param nonScore −β·KL of each token
 */
record PpoRollout(int[][] prompts, int[][] responses, double[][] logprobs, double[][] values, double[] scores,
                  double[][] kl, double[][] nonScore, double[][] advantages, double[][] returns) {

    /**
     * The rollout of {@code prompts} and their sampled {@code responses}: per response token the KL estimate to the
     * reference and the non-score reward −β·KL, the score (less {@code missing_eos_penalty} for a response without
     * eos) added at the last token, the rewards optionally whitened, GAE advantages (whitened) and returns.
     */
    static PpoRollout of(int[][] prompts, int[][] responses, double[][] logprobs, double[][] refLogprobs,
                         double[][] values, double[] scores, double beta, PpoConfig.Options options,
                         Integer eosTokenId) {
        int size = prompts.length;
        KlEstimator estimator = options.estimator();
        double[][] kl = new double[size][];
        double[][] nonScore = new double[size][];
        double[][] rewards = new double[size][];
        for (int b = 0; b < size; b++) {
            if (options.missingEosPenalty() != null && !contains(responses[b], eosTokenId)) {
                scores[b] -= options.missingEosPenalty();
            }
            int n = responses[b].length;
            kl[b] = new double[n];
            nonScore[b] = new double[n];
            for (int t = 0; t < n; t++) {
                kl[b][t] = estimator.estimate(logprobs[b][t], refLogprobs[b][t]);
                nonScore[b][t] = -beta * kl[b][t];
            }
            rewards[b] = nonScore[b].clone();
            rewards[b][n - 1] += scores[b];
        }
        if (options.whitenRewards()) {
            rewards = Whitening.whiten(rewards, false);
        }
        double[][] advantages = new double[size][];
        double[][] returns = new double[size][];
        for (int b = 0; b < size; b++) {
            Gae.Result gae = Gae.of(rewards[b], values[b], options.gamma(), options.lam());
            advantages[b] = gae.advantages();
            returns[b] = gae.returns();
        }
        advantages = Whitening.whiten(advantages, true);
        return new PpoRollout(prompts, responses, logprobs, values, scores, kl, nonScore, advantages, returns);
    }

    private static boolean contains(int[] tokens, Integer id) {
        if (id == null) {
            return false;
        }
        for (int t : tokens) {
            if (t == id) {
                return true;
            }
        }
        return false;
    }

    /** The micro-batch of the rollout's {@code rows} that an update step trains on. */
    PpoUpdate.MicroBatch rows(int[] rows) {
        int size = rows.length;
        PpoUpdate.MicroBatch batch = new PpoUpdate.MicroBatch(new int[size][], new int[size][], new double[size][],
                new double[size][], new double[size][], new double[size][]);
        for (int i = 0; i < size; i++) {
            int r = rows[i];
            batch.prompts()[i] = prompts[r];
            batch.responses()[i] = responses[r];
            batch.oldLogprobs()[i] = logprobs[r];
            batch.oldValues()[i] = values[r];
            batch.advantages()[i] = advantages[r];
            batch.returns()[i] = returns[r];
        }
        return batch;
    }
}
