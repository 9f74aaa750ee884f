package org.align4j.model.io;

import java.util.Arrays;
import java.util.Optional;

/**
 * Element types of the <a href="https://github.com/huggingface/safetensors">safetensors</a> format, named as they
 * appear in a file header. Only {@link #F32}, {@link #BF16} and {@link #F16} can be read into or written from a
 * float32 {@link org.align4j.tensor.Tensor}; the others are known so that files holding them can still be opened and
 * validated.
 *
 * <p>The constants are declared in the reference implementation's order of increasing alignment; its writer lays
 * tensors out by descending position in this order, and {@link SafeTensorsWriter} does the same.
 */
public enum Dtype {
    BOOL(1),
    U8(1),
    I8(1),
    F8_E5M2(1),
    F8_E4M3(1),
    I16(2),
    U16(2),
    F16(2),
    BF16(2),
    I32(4),
    U32(4),
    F32(4),
    F64(8),
    I64(8),
    U64(8);

    private final int byteSize;

    Dtype(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** Whether tensors of this type convert to and from float32 ({@code F32}, {@code BF16}, {@code F16}). */
    public boolean isFloatConvertible() {
        return this == F32 || this == BF16 || this == F16;
    }

    /**
     * The name transformers gives a float-convertible dtype in config.json's {@code torch_dtype} / {@code dtype}:
     * {@code float32}, {@code bfloat16} or {@code float16}.
     *
     * @throws IllegalStateException for a dtype that is not float-convertible
     */
    public String torchName() {
        return switch (this) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> throw new IllegalStateException(this + " has no float tensor dtype name");
        };
    }

    /** The float-convertible dtype whose {@link #torchName} is {@code name}, if there is one. */
    public static Optional<Dtype> fromTorchName(String name) {
        return Arrays.stream(values()).filter(d -> d.isFloatConvertible() && d.torchName().equals(name)).findFirst();
    }

    /** The constant whose header name is {@code name}, if there is one. */
    public static Optional<Dtype> fromHeaderName(String name) {
        return Arrays.stream(values()).filter(d -> d.name().equals(name)).findFirst();
    }
}
