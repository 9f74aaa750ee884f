package org.align4j;

/** Byte-array splicing for the fuzz tests' mutations. */
public final class ByteSplice {
    private ByteSplice() {
    }

    /** {@code bytes} with {@code remove} bytes at {@code at} (both clamped to the array) replaced by {@code insert}. */
    public static byte[] of(byte[] bytes, int at, int remove, byte[] insert) {
        int start = Math.min(at, bytes.length);
        int stop = Math.min(bytes.length, start + remove);
        byte[] out = new byte[bytes.length - (stop - start) + insert.length];
        System.arraycopy(bytes, 0, out, 0, start);
        System.arraycopy(insert, 0, out, start, insert.length);
        System.arraycopy(bytes, stop, out, start + insert.length, bytes.length - stop);
        return out;
    }
}
