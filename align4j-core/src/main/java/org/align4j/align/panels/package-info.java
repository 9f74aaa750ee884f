/**
 * AI feedback for condition panels (the dataset-model iteration of issue 20): rounds in which a panel-builder model
 * samples candidate panels, a writer model's likelihood of the true next paragraph ranks them (minus an optional copy
 * penalty), and DPO trains the builder on the best and worst candidate of each paragraph, on DICE's round machinery
 * ({@link org.align4j.align.dpo.DpoRounds}).
 */
package org.align4j.align.panels;
