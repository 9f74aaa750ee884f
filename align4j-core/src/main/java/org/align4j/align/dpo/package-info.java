/**
 * Direct Preference Optimization (Rafailov et al. 2023) and the loss family of TRL's {@code DPOTrainer}
 * ({@link org.align4j.align.dpo.DpoLossType}, TYPO among them), trained by {@link org.align4j.align.dpo.DpoTrainer}:
 * preference batches laid out for one forward pass, completion log-probabilities reduced per pair, the reference
 * model's log-probabilities (a frozen copy, the adapter-disabled base of a LoRA policy, or precomputed), and TRL's
 * {@code rewards/*}, {@code logps/*} and {@code logits/*} metrics.
 */
package org.align4j.align.dpo;
