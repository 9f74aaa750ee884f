/**
 * DICE (Chen et al., "Bootstrapping Language Models with DPO Implicit Rewards", ICLR 2025): rounds of sampling from
 * the current policy, ranking by DPO's implicit reward with length regularisation, experience replay of offline
 * pairs, and DPO on the mix.
 */
package org.align4j.align.dice;
