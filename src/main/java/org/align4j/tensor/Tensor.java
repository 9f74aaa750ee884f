package org.align4j.tensor;

import java.util.Arrays;

/**
 * A dense float32 tensor: a row-major shape over one contiguous block of storage.
 *
 * <p>The CPU backend keeps the storage in a {@code float[]}; kernels reach it through {@link #data()}. Shapes are
 * small int arrays; the element count must fit in an int (2^31 - 1).
 */
public final class Tensor {
    private final float[] data;
    private final int[] shape;

    private Tensor(float[] data, int[] shape) {
        this.data = data;
        this.shape = shape;
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

    /** The backing array (CPU storage), row-major. */
    public float[] data() {
        return data;
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
        return data.length;
    }

    /** The same storage seen with another shape of equal size. */
    public Tensor reshape(int... newShape) {
        return of(data, newShape);
    }

    /** A deep copy. */
    public Tensor copy() {
        return new Tensor(data.clone(), shape.clone());
    }

    /** Sets every element to zero. */
    public void zero() {
        Arrays.fill(data, 0f);
    }

    /** Element at a flat index. */
    public float get(int flatIndex) {
        return data[flatIndex];
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
        for (int i = 0; i < data.length; i++) {
            double d = (double) data[i] - reference.data[i];
            diff += d * d;
            norm += (double) reference.data[i] * reference.data[i];
        }
        return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30);
    }

    /** Whether the shapes are equal. */
    public boolean sameShape(Tensor other) {
        return Arrays.equals(shape, other.shape);
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
