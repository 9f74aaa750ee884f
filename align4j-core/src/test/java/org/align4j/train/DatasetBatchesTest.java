package org.align4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.align4j.InputException;
import org.junit.jupiter.api.Test;

/** {@link DatasetBatches}: train_sampling_strategy random (a seeded shuffle per epoch) or sequential. */
class DatasetBatchesTest {
    private static final List<Integer> DATA = IntStream.range(0, 10).boxed().toList();

    private static List<Integer> epoch(DatasetBatches<Integer> batches, int epoch) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < batches.microBatchesPerEpoch(); i++) {
            BatchSource.MicroBatch<Integer> b = batches.microBatch(epoch, i);
            assertArrayEquals(b.items().stream().mapToInt(Integer::intValue).toArray(), b.indices());
            order.addAll(b.items());
        }
        return order;
    }

    @Test
    void sequentialVisitsTheDatasetInOrderEveryEpoch() {
        DatasetBatches<Integer> batches = new DatasetBatches<>(DATA, 4, false, 42, false);
        assertEquals(3, batches.microBatchesPerEpoch());
        assertEquals(DATA, epoch(batches, 0));
        assertEquals(DATA, epoch(batches, 1));
    }

    @Test
    void randomShufflesEachEpochAsTheSeededSampler() {
        DatasetBatches<Integer> batches = new DatasetBatches<>(DATA, 4, true, 42, true);
        assertEquals(2, batches.microBatchesPerEpoch());
        List<Integer> first = epoch(batches, 0);
        int[] permutation = new EpochSampler(10, 4, true, 42).permutation(0);
        assertEquals(IntStream.of(permutation).limit(8).boxed().toList(), first);
        assertNotEquals(first, epoch(batches, 1));
    }

    @Test
    void theStrategyIsAnOption() {
        TrainingArguments sequential = TrainingArguments.defaults().withOptions(Map.of("train_sampling_strategy",
                "sequential"));
        assertFalse(sequential.shufflesTrainingSet());
        InputException e = assertThrows(InputException.class, () -> TrainingArguments.defaults()
                .withOptions(Map.of("train_sampling_strategy", "group_by_length")));
        assertTrue(e.getMessage().contains("train_sampling_strategy must be random or sequential"), e.getMessage());
    }
}
