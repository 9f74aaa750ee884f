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
        LearningRateSchedule s = new LearningRateSchedule(Type.COSINE_WITH_MIN_LR, LR, 2, 10, 0.5, 0.1);
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
        assertEquals(0.1, minLr.scheduleFor(10).minLrRate(), 1e-12);
    }

    @Test
    void unknownTypeIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Type.of("polynomal"));
        assertEquals("lr_scheduler_type must be one of linear, cosine, cosine_with_min_lr, constant, "
                + "constant_with_warmup; got 'polynomal'", e.getMessage());
    }
}
