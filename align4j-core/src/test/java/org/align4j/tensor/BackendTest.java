package org.align4j.tensor;

import org.align4j.tensor.cpu.ScalarKernels;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BackendTest {

    @Test
    void settingPicksTheKernels() {
        assertEquals("cpu-vector", Backend.forSetting(null).name());
        assertEquals("cpu-vector", Backend.forSetting(" Vector ").name());
        assertEquals("cpu-scalar", Backend.forSetting("scalar").name());
        assertThrows(IllegalArgumentException.class, () -> Backend.forSetting("gpu"));
    }

    @Test
    void useReplacesTheProcessWideKernels() {
        Kernels before = Backend.kernels();
        try {
            Kernels scalar = new ScalarKernels();
            Backend.use(scalar);
            assertSame(scalar, Backend.kernels());
        } finally {
            Backend.use(before);
        }
    }
}
