/**
 * PPO with a KL penalty as TRL's {@code PPOTrainer} (Ouyang et al. 2022; Ziegler et al. 2019): rollouts from the
 * policy, per-token rewards with the KL estimator and the adaptive KL controller, GAE advantages
 * ({@link org.align4j.align.ppo.PpoRollout}), the clipped policy and value losses
 * ({@link org.align4j.align.ppo.PpoUpdate}), and TRL's metrics ({@link org.align4j.align.ppo.PpoMetrics});
 * {@link org.align4j.align.ppo.PpoTrainer} runs the loop and writes the run folder.
 */
package org.align4j.align.ppo;
