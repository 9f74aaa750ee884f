package org.align4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Hugging Face {@code tokenizers} {@code BPE} model: splits a pre-tokenized piece into characters, maps each to
 * its vocabulary id (else to its {@code <0xXX>} byte tokens with {@code byte_fallback}, else to {@code unk_token},
 * fused with its unknown neighbours under {@code fuse_unk}, else drops it), then applies the merges lowest rank
 * first, leftmost first among equal ranks. With {@code ignore_merges} a piece that is itself in the vocabulary is one
 * token. {@code continuing_subword_prefix} and {@code end_of_word_suffix} mark non-initial and final characters.
 *
 * <p>Results are cached per piece (the cache stops growing at {@value #CACHE_CAPACITY} pieces); instances are safe to
 * share between threads.
 */
final class BpeModel {
    static final int CACHE_CAPACITY = 50_000;
    private static final int LONGEST_CACHED_PIECE = 256;

    private final Map<String, Integer> vocab;
    private final String[] tokenOfId;
    private final MergeTable merges;
    private final int unkId;
    private final boolean fuseUnk;
    private final int[] byteFallbackIds;
    private final String continuingSubwordPrefix;
    private final String endOfWordSuffix;
    private final boolean ignoreMerges;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    private BpeModel(Map<String, Integer> vocab, String[] tokenOfId, MergeTable merges, int unkId, boolean fuseUnk,
            int[] byteFallbackIds, String continuingSubwordPrefix, String endOfWordSuffix, boolean ignoreMerges) {
        this.vocab = vocab;
        this.tokenOfId = tokenOfId;
        this.merges = merges;
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
        this.byteFallbackIds = byteFallbackIds;
        this.continuingSubwordPrefix = continuingSubwordPrefix;
        this.endOfWordSuffix = endOfWordSuffix;
        this.ignoreMerges = ignoreMerges;
    }

    /** Reads a {@code model} object of {@code tokenizer.json}. */
    static BpeModel parse(JsonNode node, TokenizerFile file) {
        String type = file.type(node, "model");
        if (!type.equals("BPE")) {
            throw file.unsupported("model", type);
        }
        JsonNode dropout = node.get("dropout");
        if (dropout != null && !dropout.isNull() && dropout.asDouble() > 0) {
            throw file.error("BPE model: dropout " + dropout.asDouble() + " is not supported");
        }
        JsonNode vocabNode = node.get("vocab");
        if (vocabNode == null || !vocabNode.isObject()) {
            throw file.error("BPE model: missing object field \"vocab\"");
        }
        Map<String, Integer> vocab = new HashMap<>(vocabNode.size() * 2);
        String[] tokenOfId = new String[vocabNode.size()];
        for (Map.Entry<String, JsonNode> entry : vocabNode.properties()) {
            JsonNode idNode = entry.getValue();
            if (!idNode.isIntegralNumber() || !idNode.canConvertToInt() || idNode.intValue() < 0) {
                throw file.error("BPE model: vocab entry '" + entry.getKey() + "' has no valid id: " + idNode);
            }
            int id = idNode.intValue();
            if (id >= tokenOfId.length) {
                throw file.error("BPE model: vocab entry '" + entry.getKey() + "' has id " + id + ", but the "
                        + tokenOfId.length + " entries must have the ids 0.." + (tokenOfId.length - 1)
                        + " (a gap or a duplicate id)");
            }
            if (tokenOfId[id] != null) {
                throw file.error("BPE model: vocab entries '" + tokenOfId[id] + "' and '" + entry.getKey()
                        + "' have the same id " + id);
            }
            tokenOfId[id] = entry.getKey();
            vocab.put(entry.getKey(), id);
        }
        String prefix = emptyToNull(file.optionalText(node, "continuing_subword_prefix"));
        MergeTable merges = parseMerges(file.array(node, "merges", "BPE model"), vocab, prefix, file);
        String unkToken = file.optionalText(node, "unk_token");
        int unkId = -1;
        if (unkToken != null) {
            Integer id = vocab.get(unkToken);
            if (id == null) {
                throw file.error("BPE model: unk_token '" + unkToken + "' is not in the vocab");
            }
            unkId = id;
        }
        int[] byteFallbackIds = null;
        if (file.bool(node, "byte_fallback", false)) {
            byteFallbackIds = new int[256];
            for (int b = 0; b < 256; b++) {
                Integer id = vocab.get(byteToken(b));
                if (id == null && unkId < 0) {
                    throw file.error("BPE model: byte_fallback is on but the vocab has no byte token '"
                            + byteToken(b) + "' and no unk_token to stand in for it");
                }
                byteFallbackIds[b] = id == null ? -1 : id;
            }
        }
        return new BpeModel(vocab, tokenOfId, merges, unkId, file.bool(node, "fuse_unk", false), byteFallbackIds, prefix,
                emptyToNull(file.optionalText(node, "end_of_word_suffix")), file.bool(node, "ignore_merges", false));
    }

    private static MergeTable parseMerges(JsonNode mergesNode, Map<String, Integer> vocab, String prefix,
            TokenizerFile file) {
        MergeTable merges = new MergeTable(mergesNode.size());
        int rank = 0;
        for (JsonNode merge : mergesNode) {
            String left;
            String right;
            if (merge.isTextual()) {
                String[] parts = merge.asText().split(" ", -1);
                if (parts.length != 2) {
                    throw file.error("BPE model: merge '" + merge.asText() + "' is not two tokens separated by a space");
                }
                left = parts[0];
                right = parts[1];
            } else if (merge.isArray() && merge.size() == 2) {
                left = merge.get(0).asText();
                right = merge.get(1).asText();
            } else {
                throw file.error("BPE model: merge " + merge + " is neither \"a b\" nor [a, b]");
            }
            String merged = left + (prefix != null && right.startsWith(prefix) ? right.substring(prefix.length()) : right);
            merges.put(vocabId(vocab, left, merge, file), vocabId(vocab, right, merge, file), rank++,
                    vocabId(vocab, merged, merge, file));
        }
        return merges;
    }

    private static int vocabId(Map<String, Integer> vocab, String token, JsonNode merge, TokenizerFile file) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw file.error("BPE model: merge " + merge + " uses '" + token + "', which is not in the vocab");
        }
        return id;
    }

    /** The byte-fallback token of a byte, e.g. {@code <0x0A>}. */
    static String byteToken(int b) {
        return String.format("<0x%02X>", b);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    /** Appends the ids of one pre-tokenized piece to {@code out}. */
    void tokenize(String piece, IntList out) {
        int[] ids = cache.get(piece);
        if (ids == null) {
            ids = computeIds(piece);
            if (piece.length() <= LONGEST_CACHED_PIECE && cache.size() < CACHE_CAPACITY) {
                cache.put(piece, ids);
            }
        }
        out.addAll(ids);
    }

    private int[] computeIds(String piece) {
        if (ignoreMerges) {
            Integer id = vocab.get(piece);
            if (id != null) {
                return new int[] {id};
            }
        }
        return mergeAll(initialSymbols(piece));
    }

    private IntList initialSymbols(String piece) {
        IntList symbols = new IntList(piece.length());
        boolean unkPending = false;
        for (int i = 0; i < piece.length(); ) {
            int next = i + Character.charCount(piece.codePointAt(i));
            String symbol = piece.substring(i, next);
            if (i > 0 && continuingSubwordPrefix != null) {
                symbol = continuingSubwordPrefix + symbol;
            }
            if (next == piece.length() && endOfWordSuffix != null) {
                symbol = symbol + endOfWordSuffix;
            }
            i = next;
            Integer id = vocab.get(symbol);
            if (id != null) {
                if (unkPending) {
                    symbols.add(unkId);
                    unkPending = false;
                }
                symbols.add(id);
            } else if (!addByteFallback(symbol, symbols) && unkId >= 0) {
                if (unkPending && !fuseUnk) {
                    symbols.add(unkId);
                }
                unkPending = true;
            }
        }
        if (unkPending) {
            symbols.add(unkId);
        }
        return symbols;
    }

    /** Adds the byte tokens of {@code symbol} if byte fallback is on and the vocabulary has all of them. */
    private boolean addByteFallback(String symbol, IntList symbols) {
        if (byteFallbackIds == null) {
            return false;
        }
        byte[] bytes = symbol.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            if (byteFallbackIds[b & 0xFF] < 0) {
                return false;
            }
        }
        for (byte b : bytes) {
            symbols.add(byteFallbackIds[b & 0xFF]);
        }
        return true;
    }

    /**
     * Applies merges to a list of symbol ids: a min-heap of candidate pairs keyed by (rank, position); a popped pair
     * that no longer holds (one side already merged) is skipped; after each merge the new neighbouring pairs are
     * pushed.
     */
    private int[] mergeAll(IntList symbols) {
        int[] ids = symbols.toArray();
        int n = ids.length;
        if (n < 2) {
            return ids;
        }
        int[] prev = new int[n];
        int[] next = new int[n];
        long[] heap = new long[n * 2];
        int heapSize = 0;
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        for (int i = 0; i + 1 < n; i++) {
            long merge = merges.find(ids[i], ids[i + 1]);
            if (merge != MergeTable.NONE) {
                heap = push(heap, heapSize++, candidate(merge, i));
            }
        }
        while (heapSize > 0) {
            long top = heap[0];
            heap[0] = heap[--heapSize];
            siftDown(heap, heapSize);
            int pos = (int) top;
            int right = next[pos];
            if (ids[pos] < 0 || right < 0) {
                continue;
            }
            long merge = merges.find(ids[pos], ids[right]);
            if (merge == MergeTable.NONE || MergeTable.rank(merge) != (int) (top >>> 32)) {
                continue;
            }
            ids[pos] = MergeTable.mergedId(merge);
            ids[right] = -1;
            next[pos] = next[right];
            if (next[pos] >= 0) {
                prev[next[pos]] = pos;
            }
            if (prev[pos] >= 0) {
                long left = merges.find(ids[prev[pos]], ids[pos]);
                if (left != MergeTable.NONE) {
                    heap = push(heap, heapSize++, candidate(left, prev[pos]));
                }
            }
            if (next[pos] >= 0) {
                long following = merges.find(ids[pos], ids[next[pos]]);
                if (following != MergeTable.NONE) {
                    heap = push(heap, heapSize++, candidate(following, pos));
                }
            }
        }
        IntList result = new IntList(n);
        for (int i = 0; i >= 0; i = next[i]) {
            result.add(ids[i]);
        }
        return result.toArray();
    }

    private static long candidate(long merge, int position) {
        return ((long) MergeTable.rank(merge) << 32) | position;
    }

    private static long[] push(long[] heap, int size, long value) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        int i = size;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= value) {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = value;
        return heap;
    }

    private static void siftDown(long[] heap, int size) {
        if (size == 0) {
            return;
        }
        long value = heap[0];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && heap[child + 1] < heap[child]) {
                child++;
            }
            if (heap[child] >= value) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = value;
    }

    /** The id of a vocabulary token, or null. */
    Integer id(String token) {
        return vocab.get(token);
    }

    /** Whether a symbol missing from the vocabulary becomes {@code unk_token} (else it is dropped). */
    boolean hasUnk() {
        return unkId >= 0;
    }

    /** The number of vocabulary tokens; their ids are {@code 0..size()-1}. */
    int size() {
        return tokenOfId.length;
    }

    /** The vocabulary token of an id, or null. */
    String token(int id) {
        return id >= 0 && id < tokenOfId.length ? tokenOfId[id] : null;
    }

    /** The vocabulary, token to id (read-only). */
    Map<String, Integer> vocab() {
        return java.util.Collections.unmodifiableMap(vocab);
    }
}
