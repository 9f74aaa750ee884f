/**
 * Supervised fine-tuning and its relatives, all language-model losses over completion tokens: SFT as TRL's
 * {@code SFTTrainer} ({@link org.align4j.align.sft.SftTask}), C-RLFT (OpenChat, Wang et al. 2023: class-conditioned
 * prompts and a per-source loss weight), Preferred-FT (SFT on the chosen responses) and Unlikelihood training
 * (Welleck et al. 2019).
 */
package org.align4j.align.sft;
