package org.align4j.align.dice;

/**
 * A preference pair DICE built from a prompt's scored samples: chosen = argmax and rejected = argmin of the
 * length-regularised reward r = s − α |y| (Chen et al. 2025, eq. 6 and Section 3.2).
 *
 * @param prompt         the prompt's index
 * @param chosen         the sample with the highest r (the first of equals)
 * @param rejected       the sample with the lowest r (the first of equals)
 * @param chosenReward   r of the chosen sample
 * @param rejectedReward r of the rejected sample
 */
public record DicePair(int prompt, DiceSample chosen, DiceSample rejected, double chosenReward,
                       double rejectedReward) {
}
