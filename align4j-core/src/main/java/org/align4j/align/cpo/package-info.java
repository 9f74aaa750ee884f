/**
 * The reference-free preference trainers: CPO and SimPO ({@link org.align4j.align.cpo.CpoTrainer}) and ORPO
 * ({@link org.align4j.align.cpo.OrpoTrainer}). One model is in memory; a {@link org.align4j.align.cpo.PairLoss} of
 * the policy's own sequence log-probabilities plus a negative log-likelihood term trains it through one task,
 * {@link org.align4j.align.cpo.ReferenceFreeTask}, on DPO's preference data.
 */
package org.align4j.align.cpo;
