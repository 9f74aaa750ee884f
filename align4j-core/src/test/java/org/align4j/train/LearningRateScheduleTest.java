package org.align4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.align4j.train.LearningRateSchedule.Type;
import org.junit.jupiter.api.Test;

/** Values worked out by hand from the lambdas of transformers' get_scheduler (2 warmup steps, 10 steps). */
class LearningRateScheduleTest {
    private static final double LR = 1e-3;

    private static double lr(Type type, long step) {
        return LearningRateSchedule.of(type, LR, 2, 10).learningRate(step);
    }

    @Test
    void linearWarmsUpThenDecaysToZero() {
        assertEquals(0.0, lr(Type.LINEAR, 0), 1e-15);
        assertEquals(0.5e-3, lr(Type.LINEAR, 1), 1e-15);
        assertEquals(1e-3, lr(Type.LINEAR, 2), 1e-15);
        assertEquals(0.75e-3, lr(Type.LINEAR, 4), 1e-15); // (10 - 4) / 8
        assertEquals(0.125e-3, lr(Type.LINEAR, 9), 1e-15); // (10 - 9) / 8
        assertEquals(0.0, lr(Type.LINEAR, 10), 1e-15);
        assertEquals(0.0, lr(Type.LINEAR, 12), 1e-15); // clamped at 0 past the end
    }

    @Test
    void linearWithoutWarmupStartsAtThePeak() {
        LearningRateSchedule s = LearningRateSchedule.of(Type.LINEAR, LR, 0, 4);
        assertEquals(1e-3, s.learningRate(0), 1e-15);
        assertEquals(0.25e-3, s.learningRate(3), 1e-15);
    }

    @Test
    void cosineFollowsHalfACosineAfterWarmup() {
        assertEquals(0.5e-3, lr(Type.COSINE, 1), 1e-15);
        assertEquals(1e-3, lr(Type.COSINE, 2), 1e-15);
        // progress 2/8: 0.5 (1 + cos(pi / 4)) = 0.8535533905932737
        assertEquals(0.8535533905932737e-3, lr(Type.COSINE, 4), 1e-15);
        // progress 1/2: 0.5 (1 + cos(pi / 2)) = 0.5
        assertEquals(0.5e-3, lr(Type.COSINE, 6), 1e-15);
        assertEquals(0.0, lr(Type.COSINE, 10), 1e-15);
    }

    @Test
    void cosineWithMinLrKeepsTheFloor() {
        LearningRateSchedule s = new LearningRateSchedule(Type.COSINE_WITH_MIN_LR, LR, 2, 10, Map.of("min_lr_rate", 0.1));
        assertEquals(0.55e-3, s.learningRate(6), 1e-15); // 0.5 * 0.9 + 0.1
        assertEquals(0.1e-3, s.learningRate(10), 1e-15);
    }

    @Test
    void constantIgnoresWarmupAndConstantWithWarmupRamps() {
        assertEquals(1e-3, lr(Type.CONSTANT, 0), 1e-15);
        assertEquals(1e-3, lr(Type.CONSTANT, 10), 1e-15);
        assertEquals(0.0, lr(Type.CONSTANT_WITH_WARMUP, 0), 1e-15);
        assertEquals(0.5e-3, lr(Type.CONSTANT_WITH_WARMUP, 1), 1e-15);
        assertEquals(1e-3, lr(Type.CONSTANT_WITH_WARMUP, 3), 1e-15);
        assertEquals(1e-3, lr(Type.CONSTANT_WITH_WARMUP, 50), 1e-15);
    }

    @Test
    void warmupRatioRoundsUpAndWarmupStepsWin() {
        TrainingArguments ratio = TrainingArguments.defaults().withOptions(Map.of("warmup_ratio", 0.15));
        assertEquals(2, ratio.warmupStepsFor(10)); // ceil(1.5)
        TrainingArguments both = ratio.withOptions(Map.of("warmup_steps", 3));
        assertEquals(3, both.warmupStepsFor(10));
        TrainingArguments minLr = TrainingArguments.defaults().withOptions(Map.of("lr_scheduler_type",
                "cosine_with_min_lr", "learning_rate", 1e-3, "lr_scheduler_kwargs", Map.of("min_lr", 1e-4)));
        assertEquals(0.1, minLr.scheduleFor(10).factor(10), 1e-12);
    }

    @Test
    void unknownTypeIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Type.of("polynomal"));
        assertEquals("lr_scheduler_type must be one of linear, cosine, cosine_with_restarts, polynomial, constant, "
                + "constant_with_warmup, inverse_sqrt, cosine_with_min_lr, warmup_stable_decay; got 'polynomal'",
                e.getMessage());
    }

    private static double lr(Type type, Map<String, Object> kwargs, long step) {
        return new LearningRateSchedule(type, LR, 2, 10, kwargs).learningRate(step);
    }

    @Test
    void cosineWithRestartsRestartsEachCycle() {
        Map<String, Object> two = Map.of("num_cycles", 2);
        assertEquals(1e-3, lr(Type.COSINE_WITH_RESTARTS, two, 2), 1e-15);
        assertEquals(0.5e-3, lr(Type.COSINE_WITH_RESTARTS, two, 4), 1e-15); // (2 * 2/8) mod 1 = 0.5
        assertEquals(1e-3, lr(Type.COSINE_WITH_RESTARTS, two, 6), 1e-15); // (2 * 4/8) mod 1 = 0: restart
        assertEquals(0.0, lr(Type.COSINE_WITH_RESTARTS, two, 10), 1e-15);
        assertEquals(0.5e-3, lr(Type.COSINE_WITH_RESTARTS, 6), 1e-15); // one cycle by default: a plain half cosine
    }

    @Test
    void polynomialDecaysToLrEndAndStaysThere() {
        Map<String, Object> squared = Map.of("lr_end", 1e-4, "power", 2);
        assertEquals(3.25e-4, lr(Type.POLYNOMIAL, squared, 6), 1e-15); // 9e-4 * 0.5^2 + 1e-4
        assertEquals(1e-4, lr(Type.POLYNOMIAL, squared, 10), 1e-15);
        assertEquals(1e-4, lr(Type.POLYNOMIAL, squared, 12), 1e-15);
        assertEquals(0.5e-3, lr(Type.POLYNOMIAL, 1), 1e-15);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> lr(Type.POLYNOMIAL, Map.of("lr_end", 1e-2), 0));
        assertEquals("lr_scheduler_kwargs: lr_end (0.01) must be smaller than learning_rate (0.001)", e.getMessage());
    }

    @Test
    void inverseSqrtUsesTheWarmupAsTimescale() {
        assertEquals(0.5e-3, lr(Type.INVERSE_SQRT, 1), 1e-15);
        assertEquals(1e-3, lr(Type.INVERSE_SQRT, 2), 1e-15);
        assertEquals(0.5e-3, lr(Type.INVERSE_SQRT, 8), 1e-15); // 1 / sqrt(8 / 2)
        assertEquals(1e-3 / Math.sqrt(1.0005), LearningRateSchedule.of(Type.INVERSE_SQRT, LR, 0, 10).learningRate(5),
                1e-15); // no warmup: timescale 10000
    }

    @Test
    void warmupStableDecayHasThreePhases() {
        Map<String, Object> cosine = Map.of("num_decay_steps", 4, "warmup_type", "cosine");
        assertEquals(0.5e-3, lr(Type.WARMUP_STABLE_DECAY, cosine, 1), 1e-15); // 0.5 (1 - cos(pi / 2))
        assertEquals(1e-3, lr(Type.WARMUP_STABLE_DECAY, cosine, 5), 1e-15); // stable: steps 2..5
        assertEquals(1e-3, lr(Type.WARMUP_STABLE_DECAY, cosine, 6), 1e-15);
        assertEquals(0.5e-3, lr(Type.WARMUP_STABLE_DECAY, cosine, 8), 1e-15);
        assertEquals(0.0, lr(Type.WARMUP_STABLE_DECAY, cosine, 10), 1e-15);
        Map<String, Object> floor = Map.of("num_decay_steps", 4, "decay_type", "linear", "min_lr_ratio", 0.1);
        assertEquals(0.55e-3, lr(Type.WARMUP_STABLE_DECAY, floor, 1), 1e-15);
        assertEquals(0.55e-3, lr(Type.WARMUP_STABLE_DECAY, floor, 8), 1e-15);
        assertEquals(0.1e-3, lr(Type.WARMUP_STABLE_DECAY, floor, 12), 1e-15);
        assertEquals("lr_scheduler_type warmup_stable_decay needs num_decay_steps in lr_scheduler_kwargs",
                assertThrows(IllegalArgumentException.class, () -> lr(Type.WARMUP_STABLE_DECAY, Map.of(), 0))
                        .getMessage());
    }

    @Test
    void kwargsATypeDoesNotTakeAreRefused() {
        assertEquals("options: lr_scheduler_kwargs: lr_scheduler_type linear takes no kwargs; got 'num_cycles'",
                assertThrows(IllegalArgumentException.class, () -> TrainingArguments.defaults().withOptions(
                        Map.of("lr_scheduler_kwargs", Map.of("num_cycles", 1)))).getMessage());
        assertEquals("lr_scheduler_kwargs: decay_type must be linear, cosine or 1-sqrt, got cubic",
                assertThrows(IllegalArgumentException.class, () -> lr(Type.WARMUP_STABLE_DECAY,
                        Map.of("num_decay_steps", 4, "decay_type", "cubic"), 0)).getMessage());
    }
}
