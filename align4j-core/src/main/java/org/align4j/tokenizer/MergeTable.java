package org.align4j.tokenizer;

import java.util.Arrays;

/**
 * The BPE merge rules as an open-addressing hash table from a pair of token ids (left, right) to the merge's rank
 * (its line in {@code merges}, lower merges first) and the id of the merged token. Keys and values are packed into
 * {@code long}s, so lookups in the merge loop allocate nothing.
 */
final class MergeTable {
    /** Returned by {@link #find} when the pair has no merge. */
    static final long NONE = -1L;
    private static final long EMPTY_KEY = -1L;

    private final long[] keys;
    private final long[] values;
    private final int mask;
    private int size;

    MergeTable(int expectedMerges) {
        int capacity = Integer.highestOneBit(Math.max(4, expectedMerges) * 2 - 1) << 1;
        keys = new long[capacity];
        values = new long[capacity];
        Arrays.fill(keys, EMPTY_KEY);
        mask = capacity - 1;
    }

    /** Adds a merge; a pair listed twice keeps its later rule, as HF's map of merges does. */
    void put(int left, int right, int rank, int mergedId) {
        long key = key(left, right);
        int slot = slot(key);
        while (keys[slot] != EMPTY_KEY) {
            if (keys[slot] == key) {
                values[slot] = ((long) rank << 32) | (mergedId & 0xFFFFFFFFL);
                return;
            }
            slot = (slot + 1) & mask;
        }
        if (size * 2 >= keys.length) {
            throw new IllegalStateException("merge table full: sized for fewer merges");
        }
        keys[slot] = key;
        values[slot] = ((long) rank << 32) | (mergedId & 0xFFFFFFFFL);
        size++;
    }

    /** The packed (rank, merged id) of the pair, or {@link #NONE}. */
    long find(int left, int right) {
        long key = key(left, right);
        int slot = slot(key);
        while (true) {
            long k = keys[slot];
            if (k == key) {
                return values[slot];
            }
            if (k == EMPTY_KEY) {
                return NONE;
            }
            slot = (slot + 1) & mask;
        }
    }

    static int rank(long merge) {
        return (int) (merge >>> 32);
    }

    static int mergedId(long merge) {
        return (int) merge;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }
}
