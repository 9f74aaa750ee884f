package org.align4j.data.panels;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * TF-IDF over the content words ({@link Prose#contentWords}) of a collection of paragraphs: the embedding the
 * extractive builder retrieves long-term memories with (RecurrentGPT retrieves by sentence embeddings) and ranks a
 * paragraph's key words by. IDF is the smoothed one of scikit-learn, ln((1 + n) / (1 + df)) + 1, so a word never seen
 * in the collection gets the highest weight.
 */
final class TfIdf {
    private final Map<String, Integer> documentFrequency = new HashMap<>();
    private final int documents;

    /** The statistics of {@code paragraphs}. */
    TfIdf(List<String> paragraphs) {
        this.documents = paragraphs.size();
        for (String p : paragraphs) {
            for (String w : new HashSet<>(Prose.contentWords(p))) {
                documentFrequency.merge(w, 1, Integer::sum);
            }
        }
    }

    /** The inverse document frequency of {@code word} (lower case). */
    double idf(String word) {
        return Math.log((1.0 + documents) / (1.0 + documentFrequency.getOrDefault(word, 0))) + 1.0;
    }

    /** The L2-normalised TF-IDF vector of {@code text}, by word. */
    Map<String, Double> vector(String text) {
        Map<String, Double> v = new HashMap<>();
        for (String w : Prose.contentWords(text)) {
            v.merge(w, 1.0, Double::sum);
        }
        double norm = 0;
        for (Map.Entry<String, Double> e : v.entrySet()) {
            double x = e.getValue() * idf(e.getKey());
            e.setValue(x);
            norm += x * x;
        }
        double scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
        v.replaceAll((w, x) -> x * scale);
        return v;
    }

    /** The cosine similarity of two vectors from {@link #vector}. */
    static double cosine(Map<String, Double> a, Map<String, Double> b) {
        Map<String, Double> small = a.size() <= b.size() ? a : b;
        Map<String, Double> large = small == a ? b : a;
        double dot = 0;
        for (Map.Entry<String, Double> e : small.entrySet()) {
            Double y = large.get(e.getKey());
            if (y != null) {
                dot += e.getValue() * y;
            }
        }
        return dot;
    }

    /**
     * The indices of the {@code k} vectors of {@code candidates} most similar to {@code query} (similarity above zero;
     * ties to the earlier one), in increasing order.
     */
    List<Integer> mostSimilar(String query, List<Map<String, Double>> candidates, int k) {
        Map<String, Double> q = vector(query);
        List<double[]> scored = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            double s = cosine(q, candidates.get(i));
            if (s > 0) {
                scored.add(new double[] {i, s});
            }
        }
        scored.sort(Comparator.comparingDouble((double[] x) -> -x[1]).thenComparingDouble(x -> x[0]));
        return scored.stream().limit(k).map(x -> (int) x[0]).sorted().toList();
    }

    /**
     * The {@code n} content words of {@code text} with the highest TF-IDF (ties to the earlier word), leaving out
     * {@code exclude}, in the order they first appear in the text.
     */
    List<String> keywords(String text, int n, Set<String> exclude) {
        Map<String, Integer> firstSeen = new LinkedHashMap<>();
        Map<String, Integer> count = new HashMap<>();
        for (String w : Prose.contentWords(text)) {
            if (!exclude.contains(w)) {
                firstSeen.putIfAbsent(w, firstSeen.size());
                count.merge(w, 1, Integer::sum);
            }
        }
        return firstSeen.keySet().stream()
                .sorted(Comparator.comparingDouble((String w) -> -count.get(w) * idf(w))
                        .thenComparingInt(firstSeen::get))
                .limit(n)
                .sorted(Comparator.comparingInt(firstSeen::get))
                .toList();
    }
}
