package org.align4j.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Trains a GPT-2-style byte-level BPE tokenizer (Sennrich et al. 2016, "Neural Machine Translation of Rare Words with
 * Subword Units"; byte-level as in GPT-2): words are split with GPT-2's regex and written as byte-level characters,
 * the vocabulary starts from the 256 byte symbols, and each step merges the most frequent adjacent pair (ties broken
 * by the pair's text, so training is deterministic). Writes {@code tokenizer.json} and {@code tokenizer_config.json}
 * in the Hugging Face layout, with one special token that serves as bos, eos and pad.
 */
public final class BpeTrainer {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final int merges;
    private final String specialToken;

    /** A trainer that learns {@code merges} merges and adds {@code specialToken} after the learned vocabulary. */
    public BpeTrainer(int merges, String specialToken) {
        if (merges < 0) {
            throw new IllegalArgumentException("merges must be >= 0, got " + merges);
        }
        this.merges = merges;
        this.specialToken = specialToken;
    }

    /** A word of the corpus as a sequence of symbol ids, with its frequency. */
    private static final class Word {
        int[] symbols;
        final long count;

        Word(int[] symbols, long count) {
            this.symbols = symbols;
            this.count = count;
        }
    }

    private record Pair(int left, int right) {
    }

    private record Candidate(Pair pair, long count, String text) {
    }

    /** The learned vocabulary (symbol text by id) and merges in rank order. */
    public record Result(List<String> vocabulary, List<String[]> merges) {
    }

    /** Learns the merges from {@code texts}. */
    public Result train(Iterable<String> texts) {
        Map<String, Long> wordCounts = new HashMap<>();
        PreTokenizer.ByteLevel split = new PreTokenizer.ByteLevel(false, true);
        for (String text : texts) {
            split.split(text, true, (piece, start) -> wordCounts.merge(piece, 1L, Long::sum));
        }
        List<String> vocab = new ArrayList<>();
        Map<String, Integer> idOf = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            String symbol = byteSymbol(b);
            idOf.put(symbol, vocab.size());
            vocab.add(symbol);
        }
        List<Word> words = new ArrayList<>();
        for (Map.Entry<String, Long> e : wordCounts.entrySet()) {
            String w = e.getKey();
            int[] symbols = new int[w.length()];
            for (int i = 0; i < w.length(); i++) {
                symbols[i] = idOf.get(String.valueOf(w.charAt(i)));
            }
            words.add(new Word(symbols, e.getValue()));
        }
        Map<Pair, Long> pairCounts = new HashMap<>();
        Map<Pair, List<Word>> wordsWithPair = new HashMap<>();
        for (Word w : words) {
            for (int i = 0; i + 1 < w.symbols.length; i++) {
                Pair p = new Pair(w.symbols[i], w.symbols[i + 1]);
                pairCounts.merge(p, w.count, Long::sum);
                wordsWithPair.computeIfAbsent(p, k -> new ArrayList<>()).add(w);
            }
        }
        PriorityQueue<Candidate> queue = new PriorityQueue<>((a, b) -> a.count != b.count
                ? Long.compare(b.count, a.count) : a.text.compareTo(b.text));
        pairCounts.forEach((p, c) -> queue.add(candidate(p, c, vocab)));
        List<String[]> learned = new ArrayList<>();
        while (learned.size() < merges && !queue.isEmpty()) {
            Candidate best = queue.poll();
            Long current = pairCounts.get(best.pair);
            if (current == null || current != best.count || current <= 0) {
                continue;
            }
            int merged = vocab.size();
            String text = vocab.get(best.pair.left) + vocab.get(best.pair.right);
            vocab.add(text);
            learned.add(new String[] {vocab.get(best.pair.left), vocab.get(best.pair.right)});
            Map<Pair, Long> changed = new HashMap<>();
            for (Word w : new LinkedHashSet<>(wordsWithPair.getOrDefault(best.pair, List.of()))) {
                int[] s = w.symbols;
                for (int i = 0; i + 1 < s.length; i++) {
                    changed.merge(new Pair(s[i], s[i + 1]), -w.count, Long::sum);
                }
                w.symbols = mergePair(s, best.pair, merged);
                s = w.symbols;
                for (int i = 0; i + 1 < s.length; i++) {
                    Pair p = new Pair(s[i], s[i + 1]);
                    changed.merge(p, w.count, Long::sum);
                    if (p.left == merged || p.right == merged) {
                        wordsWithPair.computeIfAbsent(p, k -> new ArrayList<>()).add(w);
                    }
                }
            }
            wordsWithPair.remove(best.pair);
            for (Map.Entry<Pair, Long> e : changed.entrySet()) {
                if (e.getValue() == 0) {
                    continue;
                }
                long count = pairCounts.merge(e.getKey(), e.getValue(), Long::sum);
                if (count > 0) {
                    queue.add(candidate(e.getKey(), count, vocab));
                } else {
                    pairCounts.remove(e.getKey());
                }
            }
        }
        return new Result(List.copyOf(vocab), List.copyOf(learned));
    }

    private static String byteSymbol(int b) {
        return String.valueOf(ByteLevelAlphabet.charOf(b));
    }

    private static Candidate candidate(Pair p, long count, List<String> vocab) {
        return new Candidate(p, count, vocab.get(p.left) + " " + vocab.get(p.right));
    }

    private static int[] mergePair(int[] s, Pair pair, int merged) {
        int[] out = new int[s.length];
        int n = 0;
        for (int i = 0; i < s.length; i++) {
            if (i + 1 < s.length && s[i] == pair.left && s[i + 1] == pair.right) {
                out[n++] = merged;
                i++;
            } else {
                out[n++] = s[i];
            }
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * Writes {@code tokenizer.json} and {@code tokenizer_config.json} for {@code result} into {@code dir} (GPT-2's
     * pipeline: ByteLevel pre-tokenizer with its regex, BPE model, ByteLevel decoder).
     */
    public void write(Result result, Path dir, int modelMaxLength) throws IOException {
        Files.createDirectories(dir);
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        int specialId = result.vocabulary().size();
        added.addObject().put("id", specialId).put("content", specialToken).put("single_word", false)
                .put("lstrip", false).put("rstrip", false).put("normalized", true).put("special", true);
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
        root.putObject("post_processor").put("type", "ByteLevel").put("add_prefix_space", true)
                .put("trim_offsets", false).put("use_regex", true);
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true)
                .put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout");
        model.putNull("unk_token");
        model.put("continuing_subword_prefix", "").put("end_of_word_suffix", "").put("fuse_unk", false)
                .put("byte_fallback", false).put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < result.vocabulary().size(); i++) {
            vocab.put(result.vocabulary().get(i), i);
        }
        ArrayNode mergeList = model.putArray("merges");
        for (String[] m : result.merges()) {
            mergeList.addArray().add(m[0]).add(m[1]);
        }
        JSON.writeValue(dir.resolve(Tokenizer.TOKENIZER_FILE).toFile(), root);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("add_prefix_space", false);
        config.put("bos_token", specialToken);
        config.put("eos_token", specialToken);
        config.put("pad_token", specialToken);
        config.put("clean_up_tokenization_spaces", false);
        config.put("model_max_length", modelMaxLength);
        config.put("tokenizer_class", "GPT2Tokenizer");
        JSON.writeValue(dir.resolve(Tokenizer.CONFIG_FILE).toFile(), config);
    }
}
