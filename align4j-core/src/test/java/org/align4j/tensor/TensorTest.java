package org.align4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void relativeErrorIsTheDistanceOverTheReferenceNorm() {
        Tensor reference = Tensor.of(new float[] {3, 4}, 2);
        assertEquals(0, reference.copy().relativeError(reference));
        assertEquals(0.2, Tensor.of(new float[] {3, 5}, 2).relativeError(reference), 1e-12);
        assertEquals(1.0, Tensor.of(new float[] {0, 0}, 2).relativeError(reference), 1e-12);
        assertEquals(5e30, reference.relativeError(Tensor.of(new float[] {0, 0}, 2)), 1e18);
        assertThrows(IllegalArgumentException.class, () -> reference.relativeError(Tensor.of(new float[] {1}, 1)));
    }
}
