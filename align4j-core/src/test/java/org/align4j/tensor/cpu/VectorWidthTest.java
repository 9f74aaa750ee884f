package org.align4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The vector width and register tile this JVM runs the kernels with. The build runs the {@code kernels} tests again in
 * JVMs held to narrower vectors ({@code -XX:UseAVX=2}, {@code -XX:UseAVX=0}, {@code -XX:MaxVectorSize=16}) and says
 * which width each one must see ({@code align4j.test.lanes}, {@code align4j.test.registers}), so that a flag that did
 * not take effect fails here instead of silently testing the native width twice.
 */
@Tag("kernels")
class VectorWidthTest {
    private static final int LANES = FloatVector.SPECIES_PREFERRED.length();

    @Test
    void theJvmRunsAtTheWidthTheBuildAskedFor() {
        String expected = System.getProperty("align4j.test.lanes");
        int lanes = expected == null ? LANES : Integer.parseInt(expected);
        assertEquals(lanes, LANES, "float lanes of the preferred species");
    }

    @Test
    void theRegisterTileFitsTheRegisterFile() {
        boolean aarch64 = "aarch64".equals(System.getProperty("os.arch"));
        String told = System.getProperty("align4j.test.registers");
        int registers = told != null ? Integer.parseInt(told) : aarch64 || LANES >= 16 ? 32 : 16;
        int rows = Gemm.tileRows();
        int vectors = Gemm.tileVectors();
        // accumulators, the B vectors and at least one broadcast of A
        int live = rows * vectors + vectors + 1;
        assertEquals(true, live <= registers, Gemm.registerTile() + " needs " + live + " of " + registers + " registers");
        if (registers == 16) {
            assertEquals(4, rows, Gemm.registerTile());
            assertEquals(2, vectors, Gemm.registerTile());
        } else {
            assertEquals(8, rows, Gemm.registerTile());
            assertEquals(3, vectors, Gemm.registerTile());
        }
    }
}
