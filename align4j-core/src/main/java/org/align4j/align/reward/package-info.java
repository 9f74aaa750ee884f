/**
 * Reward modelling as TRL's {@code RewardTrainer}: a Bradley-Terry loss on preference pairs (with TRL's margin and
 * reward centring) over a sequence-classification head; and Best-of-N sampling ranked by a reward.
 */
package org.align4j.align.reward;
