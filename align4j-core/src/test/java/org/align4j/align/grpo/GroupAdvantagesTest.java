package org.align4j.align.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link GroupAdvantages} on hand-computed cases. */
class GroupAdvantagesTest {
    private static final double NAN = Double.NaN;

    private static double[][] column(double... rewards) {
        double[][] out = new double[rewards.length][];
        for (int i = 0; i < rewards.length; i++) {
            out[i] = new double[] {rewards[i]};
        }
        return out;
    }

    @Test
    void grpoNormalisesWithinEachGroup() {
        double[][] rewards = column(1, 0, 0, 1, 2, 2, 2, 2);
        GroupAdvantages.Result r = GroupAdvantages.grpo(rewards, List.of("f"), new double[] {1}, 4,
                ScaleRewards.GROUP, GroupAdvantages.Aggregation.SUM_THEN_NORMALIZE);
        double a = 0.5 / (Math.sqrt(1.0 / 3) + 1e-4);
        assertArrayEquals(new double[] {a, -a, -a, a, 0, 0, 0, 0}, r.advantages(), 1e-12);
        assertEquals(0.5, r.metrics().get("frac_reward_zero_std"));
        assertEquals(1.25, r.metrics().get("reward"), 1e-12);
        assertEquals(Math.sqrt(5.5 / 7), r.metrics().get("reward_std"), 1e-12);
        assertEquals(1.25, r.metrics().get("rewards/f/mean"), 1e-12);
    }

    @Test
    void grpoBatchScalingUsesTheStdOfTheWholeBatch() {
        double[][] rewards = column(1, 0, 0, 1, 2, 2, 2, 2);
        GroupAdvantages.Result batch = GroupAdvantages.grpo(rewards, List.of("f"), new double[] {1}, 4,
                ScaleRewards.BATCH, GroupAdvantages.Aggregation.SUM_THEN_NORMALIZE);
        double std = Math.sqrt(5.5 / 7);
        assertEquals(0.5 / (std + 1e-4), batch.advantages()[0], 1e-12);
        assertEquals(0, batch.metrics().get("frac_reward_zero_std"));
        GroupAdvantages.Result none = GroupAdvantages.grpo(rewards, List.of("f"), new double[] {1}, 4,
                ScaleRewards.NONE, GroupAdvantages.Aggregation.SUM_THEN_NORMALIZE);
        assertArrayEquals(new double[] {0.5, -0.5, -0.5, 0.5, 0, 0, 0, 0}, none.advantages(), 1e-15);
        // with scale_rewards none the std still decides frac_reward_zero_std (TRL logs it either way)
        assertEquals(0.5, none.metrics().get("frac_reward_zero_std"));
    }

    @Test
    void weightedFunctionsAndAbstentions() {
        // completion 1: the second function abstains (its weighted sum is the first alone); completion 3: both
        // abstain, so it gets advantage 0 and is left out of the group's mean and std
        double[][] rewards = {{1, 2}, {3, NAN}, {0, 0}, {NAN, NAN}};
        GroupAdvantages.Result r = GroupAdvantages.grpo(rewards, List.of("a", "b"), new double[] {1, 0.5}, 4,
                ScaleRewards.NONE, GroupAdvantages.Aggregation.SUM_THEN_NORMALIZE);
        // sums 2, 3, 0 (mean 5/3)
        assertArrayEquals(new double[] {2 - 5.0 / 3, 3 - 5.0 / 3, -5.0 / 3, 0}, r.advantages(), 1e-12);
        assertEquals(4.0 / 3, r.metrics().get("rewards/a/mean"), 1e-12);
        assertEquals(1.0, r.metrics().get("rewards/b/mean"), 1e-12);
        assertEquals(5.0 / 3, r.metrics().get("reward"), 1e-12);
    }

    @Test
    void normalizeThenSumNormalisesEachFunctionThenTheBatch() {
        double[][] rewards = {{1, 0}, {0, 0}, {0, 1}, {0, 3}};
        GroupAdvantages.Result r = GroupAdvantages.grpo(rewards, List.of("a", "b"), new double[] {1, 1}, 2,
                ScaleRewards.GROUP, GroupAdvantages.Aggregation.NORMALIZE_THEN_SUM);
        double z = 0.5 / (Math.sqrt(0.5) + 1e-4);
        double zb = 1 / (Math.sqrt(2) + 1e-4);
        // group 0: a normalises to ±z, b has zero std (0 / 1e-4 = 0); group 1: a 0, b ±zb
        double[] sums = {z, -z, -zb, zb};
        double mean = 0;
        double squares = 0;
        for (double s : sums) {
            mean += s / 4;
        }
        for (double s : sums) {
            squares += (s - mean) * (s - mean);
        }
        double std = Math.sqrt(squares / 3);
        for (int i = 0; i < 4; i++) {
            assertEquals((sums[i] - mean) / (std + 1e-4), r.advantages()[i], 1e-12);
        }
    }

    @Test
    void rlooSubtractsTheMeanOfTheOtherCompletions() {
        GroupAdvantages.Result r = GroupAdvantages.rloo(column(1, 0, 0, 1), List.of("f"), new double[] {1}, 4, null,
                null, false);
        assertArrayEquals(new double[] {2.0 / 3, -2.0 / 3, -2.0 / 3, 2.0 / 3}, r.advantages(), 1e-15);
        // clipping to [0, 0.5] and a KL penalty of 0.1 on the first completion: shaped rewards 0.4, 0, 0, 0.5
        GroupAdvantages.Result shaped = GroupAdvantages.rloo(column(1, 0, 0, 1), List.of("f"), new double[] {1}, 4,
                new double[] {0, 0.5}, new double[] {0.1, 0, 0, 0}, false);
        assertEquals(0.4 - 0.5 / 3, shaped.advantages()[0], 1e-15);
        assertEquals(0 - 0.9 / 3, shaped.advantages()[1], 1e-15);
        // the logged reward is the raw weighted sum
        assertEquals(0.5, shaped.metrics().get("reward"), 1e-15);
        GroupAdvantages.Result normalized = GroupAdvantages.rloo(column(1, 0, 0, 1), List.of("f"), new double[] {1},
                4, null, null, true);
        double std = Math.sqrt(4 * (4.0 / 9) / 3);
        assertEquals(2.0 / 3 / (std + 1e-4), normalized.advantages()[0], 1e-12);
    }

    @Test
    void rlooBaselineSkipsUnscorableCompletions() {
        GroupAdvantages.Result r = GroupAdvantages.rloo(column(1, NAN, 0, 2), List.of("f"), new double[] {1}, 4,
                null, null, false);
        assertArrayEquals(new double[] {1 - 1, 0, 0 - 1.5, 2 - 0.5}, r.advantages(), 1e-15);
    }

    @Test
    void incompleteGroupsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> GroupAdvantages.grpo(column(1, 2, 3), List.of("f"),
                new double[] {1}, 2, ScaleRewards.GROUP, GroupAdvantages.Aggregation.SUM_THEN_NORMALIZE));
    }
}
