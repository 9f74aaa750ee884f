package org.align4j.tensor;

import java.util.Arrays;

/**
 * A dense tensor: a row-major shape over one contiguous block of storage, float32 or bfloat16.
 *
 * <p>The CPU backend keeps float32 storage in a {@code float[]}; kernels reach it through {@link #data()}. A
 * bfloat16 tensor ({@link #toBfloat16()}) keeps the upper 16 bits of each float32 in a {@code short[]}
 * ({@link #bfloat16Bits()}): the storage of frozen weights, half the memory, which the kernels that read weights (the
 * B operand of {@link Kernels#matmulNN} and {@link Kernels#matmulNT}, the table of {@link Kernels#embeddingForward})
 * widen to float32 as they load it. Every other use of a bfloat16 tensor's {@link #data()} fails. Shapes are small
 * int arrays; the element count must fit in an int (2^31 - 1).
 */
public final class Tensor {
    private final float[] data;
    private final short[] bfloat16;
    private final int[] shape;

    private Tensor(float[] data, short[] bfloat16, int[] shape) {
        this.data = data;
        this.bfloat16 = bfloat16;
        this.shape = shape;
    }

    private Tensor(float[] data, int[] shape) {
        this(data, null, shape);
    }

    /** A new zero-filled tensor of the given shape. */
    public static Tensor zeros(int... shape) {
        return new Tensor(new float[checkedSize(shape)], shape.clone());
    }

    /** Wraps {@code data} (not copied) with the given shape; the sizes must agree. */
    public static Tensor of(float[] data, int... shape) {
        long n = checkedSize(shape);
        if (n != data.length) {
            throw new IllegalArgumentException(
                    "shape " + Arrays.toString(shape) + " needs " + n + " elements, got " + data.length);
        }
        return new Tensor(data, shape.clone());
    }

    /** Wraps the bfloat16 bit patterns {@code bits} (not copied) with the given shape; the sizes must agree. */
    public static Tensor ofBfloat16(short[] bits, int... shape) {
        long n = checkedSize(shape);
        if (n != bits.length) {
            throw new IllegalArgumentException(
                    "shape " + Arrays.toString(shape) + " needs " + n + " elements, got " + bits.length);
        }
        return new Tensor(null, bits, shape.clone());
    }

    private static int checkedSize(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
            if (n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " is too large");
            }
        }
        return (int) n;
    }

    /**
     * The backing array (CPU storage), row-major.
     *
     * @throws IllegalStateException for a bfloat16 tensor, which has no float32 storage
     */
    public float[] data() {
        if (data == null) {
            throw new IllegalStateException("bfloat16 tensor " + Arrays.toString(shape)
                    + " has no float32 storage: only the weight operands of matmul and embedding read bfloat16");
        }
        return data;
    }

    /** Whether the storage is bfloat16 ({@link #bfloat16Bits()}) rather than float32 ({@link #data()}). */
    public boolean isBfloat16() {
        return bfloat16 != null;
    }

    /**
     * The bfloat16 bit patterns (CPU storage), row-major.
     *
     * @throws IllegalStateException for a float32 tensor
     */
    public short[] bfloat16Bits() {
        if (bfloat16 == null) {
            throw new IllegalStateException("tensor " + Arrays.toString(shape) + " is float32, not bfloat16");
        }
        return bfloat16;
    }

    /**
     * A bfloat16 copy, each element rounded to the nearest bfloat16 (ties to even, as PyTorch's {@code
     * .to(torch.bfloat16)}); a bfloat16 tensor is copied as it is.
     */
    public Tensor toBfloat16() {
        if (bfloat16 != null) {
            return copy();
        }
        short[] bits = new short[data.length];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = BFloat16.fromFloat(data[i]);
        }
        return new Tensor(null, bits, shape.clone());
    }

    /** A float32 copy (exact for a bfloat16 tensor). */
    public Tensor toFloat32() {
        if (bfloat16 == null) {
            return copy();
        }
        float[] values = new float[bfloat16.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = BFloat16.toFloat(bfloat16[i]);
        }
        return new Tensor(values, shape.clone());
    }

    /** Bytes of storage: 4 per element for float32, 2 for bfloat16. */
    public long storageBytes() {
        return bfloat16 != null ? 2L * bfloat16.length : 4L * data.length;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code i}; negative indices count from the end. */
    public int dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Number of elements. */
    public int size() {
        return bfloat16 != null ? bfloat16.length : data.length;
    }

    /** The same storage seen with another shape of equal size. */
    public Tensor reshape(int... newShape) {
        return bfloat16 != null ? ofBfloat16(bfloat16, newShape) : of(data, newShape);
    }

    /** A deep copy, in the same dtype. */
    public Tensor copy() {
        return bfloat16 != null ? new Tensor(null, bfloat16.clone(), shape.clone())
                : new Tensor(data.clone(), shape.clone());
    }

    /** Sets every element to zero. */
    public void zero() {
        if (bfloat16 != null) {
            Arrays.fill(bfloat16, (short) 0);
        } else {
            Arrays.fill(data, 0f);
        }
    }

    /** Element at a flat index (widened to float32 for a bfloat16 tensor). */
    public float get(int flatIndex) {
        return bfloat16 != null ? BFloat16.toFloat(bfloat16[flatIndex]) : data[flatIndex];
    }

    /**
     * ‖this − reference‖₂ / ‖reference‖₂ in double precision (the denominator floored at 1e-30): how far this tensor
     * is from {@code reference}, as the exactness tests and the demo's self-check measure gradients.
     *
     * @throws IllegalArgumentException when the sizes differ
     */
    public double relativeError(Tensor reference) {
        if (reference.size() != size()) {
            throw new IllegalArgumentException("sizes differ: " + size() + " vs " + reference.size());
        }
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < size(); i++) {
            double value = reference.get(i);
            double d = get(i) - value;
            diff += d * d;
            norm += value * value;
        }
        return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30);
    }

    /** Whether the shapes are equal. */
    public boolean sameShape(Tensor other) {
        return Arrays.equals(shape, other.shape);
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape) + (bfloat16 != null ? " bfloat16" : "");
    }
}
