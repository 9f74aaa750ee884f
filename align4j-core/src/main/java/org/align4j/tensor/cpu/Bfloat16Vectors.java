package org.align4j.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.align4j.tensor.BFloat16;

/**
 * Widening of bfloat16 storage to float32 vectors, as the kernels that read frozen weights load them: a bfloat16 is
 * the upper half of a float32, so a load of half-width shorts, sign-extended to ints and shifted left by 16, is the
 * exact float32 value ({@link BFloat16#toFloat}) in every lane.
 */
final class Bfloat16Vectors {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = F.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** As many shorts as {@link #F} has floats, in half its width. */
    private static final VectorSpecies<Short> HALF =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));

    private Bfloat16Vectors() {
    }

    /** The {@code LANES} bfloat16 values {@code bits[at ..]} as float32. */
    static FloatVector widen(short[] bits, int at) {
        return widenInts(ShortVector.fromArray(HALF, bits, at));
    }

    /** {@link #widen(short[], int)} with lanes from {@code k - p} on read as zero (a tail of a run p .. k). */
    static FloatVector widen(short[] bits, int at, int p, int k) {
        return widenInts(ShortVector.fromArray(HALF, bits, at, HALF.indexInRange(p, k)));
    }

    private static FloatVector widenInts(ShortVector shorts) {
        return ((IntVector) shorts.convertShape(VectorOperators.S2I, I, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** dst[dstOff + i] = bits[srcOff + i] widened, for i in [0, n). */
    static void widen(short[] bits, int srcOff, float[] dst, int dstOff, int n) {
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            widen(bits, srcOff + i).intoArray(dst, dstOff + i);
        }
        for (; i < n; i++) {
            dst[dstOff + i] = BFloat16.toFloat(bits[srcOff + i]);
        }
    }
}
