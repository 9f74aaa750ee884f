package org.align4j.tensor.cpu;

/** Argument checks shared by the CPU kernels, so that a bad index fails with a message instead of garbage. */
final class KernelChecks {
    private KernelChecks() {
    }

    /** ids[i], checked to address a whole row of a table holding {@code tableLength} elements of width dim. */
    static int embeddingId(int[] ids, int i, int tableLength, int dim) {
        int id = ids[i];
        if (id < 0 || (long) (id + 1) * dim > tableLength) {
            throw new IndexOutOfBoundsException(
                    "token id " + id + " at index " + i + " is outside the embedding table of " + tableLength / dim
                            + " rows");
        }
        return id;
    }

    /** positions[row], checked against a cos/sin table holding {@code tableLength} elements of width half. */
    static int ropePosition(int[] positions, int row, int tableLength, int half) {
        int p = positions[row];
        if (p < 0 || (long) (p + 1) * half > tableLength) {
            throw new IndexOutOfBoundsException(
                    "position " + p + " of row " + row + " is outside the rotary table of " + tableLength / half
                            + " positions");
        }
        return p;
    }

    /** targets[index], checked to be below vocab; negative values (ignored rows) pass through. */
    static int target(int[] targets, int index, int vocab) {
        int t = targets[index];
        if (t >= vocab) {
            throw new IndexOutOfBoundsException("target " + t + " at index " + index + " is outside vocab " + vocab);
        }
        return t;
    }

    static void cacheLength(int tk, int capacity) {
        if (tk > capacity) {
            throw new IllegalArgumentException("attention reads " + tk + " keys from a cache of capacity " + capacity);
        }
    }

    static void attentionShape(int tq, int tk, int nHeads, int nKvHeads) {
        if (nKvHeads <= 0 || nHeads % nKvHeads != 0) {
            throw new IllegalArgumentException(
                    "nHeads (" + nHeads + ") must be a positive multiple of nKvHeads (" + nKvHeads + ")");
        }
        if (tq > tk) {
            throw new IllegalArgumentException("attention needs tq <= tk, got tq=" + tq + ", tk=" + tk);
        }
    }
}
