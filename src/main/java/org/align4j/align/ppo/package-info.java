/**
 * PPO with a KL penalty as TRL's {@code PPOTrainer} (Ouyang et al. 2022; Ziegler et al. 2019): rollouts from the
 * policy, per-token rewards with the KL estimator and the adaptive KL controller, GAE advantages and the clipped
 * policy and value losses.
 */
package org.align4j.align.ppo;
