package org.align4j.data.panels;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Segmentation of English prose for the extractive panel builder: sentences, words, the first clause, clipping to a
 * number of words, and the function words that carry no content.
 */
final class Prose {
    /** Sentence end: terminal punctuation, closing quotes or brackets, then whitespace. */
    private static final Pattern SENTENCE_END = Pattern.compile("[.!?]+[\"')\\]]*\\s+");
    /** A word: letters with inner apostrophes or hyphens. */
    private static final Pattern WORD = Pattern.compile("[A-Za-z]+(?:['’-][A-Za-z]+)*");
    /** Where a first clause ends. */
    private static final Pattern CLAUSE_END = Pattern.compile("[,;:]|\\s--\\s|[.!?]");
    /** Abbreviations whose period does not end a sentence. */
    private static final Set<String> ABBREVIATIONS = Set.of("mr", "mrs", "ms", "dr", "st", "jr", "sr", "mt", "lt",
            "col", "gen", "capt", "prof", "rev", "sgt", "no", "vs");

    /** English function words (lower case): no content of their own, never names. */
    static final Set<String> FUNCTION_WORDS = Set.of(
            "a", "about", "above", "after", "again", "against", "all", "almost", "also", "although", "always", "am",
            "an", "and", "another", "any", "anything", "are", "around", "as", "at", "back", "be", "because", "been",
            "before", "behind", "being", "below", "beside", "between", "both", "but", "by", "came", "can", "come",
            "could", "did", "do", "does", "doing", "done", "down", "during", "each", "either", "else", "even", "ever",
            "every", "everything", "few", "for", "from", "get", "got", "had", "has", "have", "having", "he", "her",
            "here", "hers", "herself", "him", "himself", "his", "how", "however", "i", "if", "in", "into", "is", "it",
            "its", "itself", "just", "let", "like", "made", "make", "many", "may", "me", "might", "more", "most",
            "much", "must", "my", "myself", "neither", "never", "no", "nobody", "none", "nor", "not", "nothing",
            "now", "of", "off", "oh", "on", "once", "one", "only", "or", "other", "others", "our", "ours", "out",
            "over", "own", "perhaps", "quite", "rather", "really", "said", "same", "say", "says", "see", "shall",
            "she", "should", "since", "so", "some", "something", "still", "such", "than", "that", "the", "their",
            "theirs", "them", "themselves", "then", "there", "these", "they", "thing", "this", "those", "though",
            "through", "thus", "till", "to", "too", "toward", "towards", "under", "until", "up", "upon", "us", "very",
            "was", "we", "well", "went", "were", "what", "whatever", "when", "where", "whether", "which", "while",
            "who", "whom", "whose", "why", "will", "with", "within", "without", "would", "yes", "yet", "you", "your",
            "yours", "yourself", "i'm", "i'll", "i'd", "i've", "don't", "didn't", "doesn't", "won't", "can't",
            "couldn't", "wouldn't", "shouldn't", "isn't", "wasn't", "aren't", "weren't", "haven't", "hasn't",
            "hadn't", "it's", "he's", "she's", "that's", "there's", "what's", "let's", "you're", "we're", "they're",
            "you'll", "we'll", "they'll", "he'd", "she'd", "we'd", "they'd", "you'd", "okay", "ok", "mister");

    private Prose() {
    }

    /** The sentences of {@code text}, split after terminal punctuation followed by a capital, quote or digit. */
    static List<String> sentences(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = SENTENCE_END.matcher(text);
        int start = 0;
        while (m.find()) {
            int next = m.end();
            if (next < text.length() && startsSentence(text.charAt(next)) && !abbreviationBefore(text, m.start())) {
                add(out, text.substring(start, next));
                start = next;
            }
        }
        add(out, text.substring(start));
        return out;
    }

    private static boolean startsSentence(char c) {
        return Character.isUpperCase(c) || Character.isDigit(c) || c == '"' || c == '\'' || c == '(';
    }

    private static boolean abbreviationBefore(String text, int period) {
        int from = period;
        while (from > 0 && Character.isLetter(text.charAt(from - 1))) {
            from--;
        }
        return ABBREVIATIONS.contains(text.substring(from, period).toLowerCase(Locale.ROOT));
    }

    private static void add(List<String> out, String sentence) {
        String s = sentence.strip();
        if (!s.isEmpty()) {
            out.add(s);
        }
    }

    /** The words of {@code text}, as written. */
    static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = WORD.matcher(text);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    /** Number of whitespace-separated words. */
    static int wordCount(String text) {
        String s = text.strip();
        return s.isEmpty() ? 0 : s.split("\\s+").length;
    }

    /** The content words of {@code text}, lower-cased: words of two letters or more that are not function words. */
    static List<String> contentWords(String text) {
        List<String> out = new ArrayList<>();
        for (String w : words(text)) {
            String lower = w.toLowerCase(Locale.ROOT).replace('’', '\'');
            if (lower.length() > 1 && !FUNCTION_WORDS.contains(lower)) {
                out.add(lower);
            }
        }
        return out;
    }

    /** The first clause of {@code text}: up to its first comma, semicolon, colon, dash or sentence end. */
    static String firstClause(String text) {
        Matcher m = CLAUSE_END.matcher(text);
        return (m.find() ? text.substring(0, m.start()) : text).strip();
    }

    /** The first {@code maxWords} whitespace-separated words of {@code text} (all of it when 0 or when shorter). */
    static String clip(String text, int maxWords) {
        String s = text.strip();
        if (maxWords <= 0 || s.isEmpty()) {
            return s;
        }
        String[] words = s.split("\\s+");
        return words.length <= maxWords ? s : String.join(" ", java.util.Arrays.copyOf(words, maxWords));
    }

    /**
     * A window of at most {@code maxWords} words of {@code sentence} that contains {@code phrase}: the sentence's
     * start when the phrase lies within it, else starting a few words before the phrase.
     */
    static String clipAround(String sentence, String phrase, int maxWords) {
        String[] words = sentence.strip().split("\\s+");
        if (maxWords <= 0 || words.length <= maxWords) {
            return sentence.strip();
        }
        int at = sentence.indexOf(phrase);
        int wordIndex = at < 0 ? 0 : wordCount(sentence.substring(0, at));
        int phraseWords = wordCount(phrase);
        int start = wordIndex + phraseWords <= maxWords ? 0 : Math.max(0, wordIndex - 3);
        int end = Math.min(words.length, start + maxWords);
        return String.join(" ", java.util.Arrays.copyOfRange(words, start, end));
    }
}
