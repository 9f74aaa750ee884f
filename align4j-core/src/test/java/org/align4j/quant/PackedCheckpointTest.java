package org.align4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.model.CausalLM;
import org.align4j.model.Fixture;
import org.align4j.model.HfModels;
import org.align4j.model.ModelException;
import org.align4j.model.ModelInput;
import org.align4j.model.io.Dtype;
import org.align4j.model.io.SafeTensors;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The packed checkpoint's layout, round trip, and inference through the packed kernels. */
class PackedCheckpointTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(WeightQuantization.class)
    void packingRoundTripsAndFollowsTheTransformersLayout(WeightQuantization quantization) {
        SplittableRandom random = new SplittableRandom(1);
        int out = 40;
        int in = 3;
        byte[] codes = new byte[out * in];
        for (int i = 0; i < codes.length; i++) {
            codes[i] = (byte) (quantization == WeightQuantization.TERNARY ? random.nextInt(3) - 1
                    : random.nextBoolean() ? 1 : -1);
        }
        byte[] packed = PackedCheckpoint.pack(quantization, codes, out, in);
        int rows = PackedCheckpoint.packedRows(quantization, out);
        assertEquals(rows * in, packed.length);
        assertArrayEquals(codes, PackedCheckpoint.unpack(quantization, packed, out, in));
        // row 1 · rows + 2, column 1 sits in the second field of packed row 2
        int code = codes[(rows + 2) * in + 1];
        int b = Byte.toUnsignedInt(packed[2 * in + 1]);
        assertEquals(code, quantization == WeightQuantization.TERNARY ? ((b >>> 2) & 3) - 1 : ((b >>> 1) & 1) * 2 - 1);
    }

    @Test
    void ternaryFieldThreeIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> PackedMatrix.fromCodes(WeightQuantization.TERNARY,
                PackedCheckpoint.unpack(WeightQuantization.TERNARY, new byte[] {3}, 1, 1), 1, 1, 1f));
    }

    @ParameterizedTest
    @EnumSource(WeightQuantization.class)
    void savedPackedModelComputesTheQuantisedForward(WeightQuantization quantization) throws Exception {
        for (String name : new String[] {"gpt2-tiny", "llama-tiny"}) {
            Fixture fixture = Fixture.load(name);
            BitLinearModel bit = BitLinearModel.create(HfModels.load(fixture.dir()), quantization);
            Path out = dir.resolve(name + quantization);
            PackedCheckpoint.save(bit, quantization, out);

            assertTrue(PackedCheckpoint.isPacked(HfModels.readConfig(out)));
            try (SafeTensors weights = SafeTensors.open(out.resolve(PackedCheckpoint.WEIGHTS_FILE))) {
                String module = bit.quantizedModules().getFirst().name();
                assertEquals(Dtype.U8, weights.info(module + ".weight").dtype());
                assertEquals(Dtype.F32, weights.info(module + PackedCheckpoint.SCALE_SUFFIX).dtype());
            }
            long packedBytes = Files.size(out.resolve(PackedCheckpoint.WEIGHTS_FILE));
            assertTrue(packedBytes > 0);

            PackedModel packed = PackedCheckpoint.load(out);
            assertEquals(quantization, packed.quantization());
            ModelInput in = fixture.lmBatch();
            Tensor expected = Ops.logits(bit.hiddenStates(Tape.inference(), in), bit.lmHead());
            Tensor actual = Ops.logits(packed.hiddenStates(Tape.inference(), in), packed.lmHead());
            // the packed product is exact in integers where the float one rounds, which can move an activation
            // across a rounding boundary in a later module: most logits agree to float rounding, none is far off
            double max = 0;
            int close = 0;
            for (int i = 0; i < expected.size(); i++) {
                double diff = Math.abs(expected.data()[i] - actual.data()[i]);
                max = Math.max(max, diff);
                close += diff <= 1e-4 * (1 + Math.abs(expected.data()[i])) ? 1 : 0;
            }
            assertTrue(max < 0.05, name + " max |difference| " + max);
            assertTrue(close > 0.9 * expected.size(), name + ": " + close + " of " + expected.size() + " logits agree");
        }
    }

    @Test
    void loadRejectsAFloatCheckpoint() {
        CausalLM model = HfModels.load(Fixture.load("llama-tiny").dir());
        assertThrows(ModelException.class, () -> PackedCheckpoint.load(Fixture.load("llama-tiny").dir()));
        assertEquals(false, PackedCheckpoint.isPacked(model.config()));
    }
}
