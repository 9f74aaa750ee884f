/**
 * Alignment algorithms, one subpackage per family, each the same shape: a config record read by its TRL option names,
 * a {@link org.align4j.train.TrainingTask} (or a loop for the online methods) that turns a batch into a loss and TRL's
 * metrics, and a trainer entry point the CLI, the demo and the experiments call.
 * <ul>
 *   <li>{@link org.align4j.align.sft}: SFT, C-RLFT, Preferred-FT and Unlikelihood (language-model losses);</li>
 *   <li>{@link org.align4j.align.reward}: Bradley-Terry reward modelling and Best-of-N;</li>
 *   <li>{@link org.align4j.align.dpo}: the DPO family of losses, reference models and preference scoring;</li>
 *   <li>{@link org.align4j.align.ppo}: PPO with a KL penalty (rollout, GAE, clipped update);</li>
 *   <li>{@link org.align4j.align.dice}: DICE, iterative self-alignment on DPO's implicit reward.</li>
 * </ul>
 * This package holds what several families share: the numerically safe logistic functions, the joining of an
 * analytic loss gradient to the tape, and the files of a policy being trained (a LoRA adapter or the whole model).
 */
package org.align4j.align;
