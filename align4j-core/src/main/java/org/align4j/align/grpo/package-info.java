/**
 * The critic-free online trainers: GRPO ({@link org.align4j.align.grpo.GrpoTrainer}) and RLOO
 * ({@link org.align4j.align.grpo.RlooTrainer}). Both sample groups of completions per prompt from the policy being
 * trained ({@link org.align4j.align.grpo.GrpoRollouts}, a {@link org.align4j.train.BatchSource} of the shared
 * trainer), rate them with {@link org.align4j.align.grpo.RewardFunction}s, turn the rewards into advantages within
 * each group ({@link org.align4j.align.grpo.GroupAdvantages}) and train on a clipped surrogate
 * ({@link org.align4j.align.grpo.GrpoLoss}, {@link org.align4j.align.grpo.RlooLoss}) through one task,
 * {@link org.align4j.align.grpo.GrpoTask}.
 */
package org.align4j.align.grpo;
