/**
 * Kahneman-Tversky Optimization ({@link org.align4j.align.kto.KtoTrainer}): a loss on unpaired examples labelled
 * desirable or undesirable, against a frozen reference and a KL reference point estimated from mismatched pairs.
 */
package org.align4j.align.kto;
