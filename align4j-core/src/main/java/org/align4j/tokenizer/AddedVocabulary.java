package org.align4j.tokenizer;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Hugging Face {@code tokenizers} {@code added_tokens}: strings cut out of the input whole, before the normalizer
 * and the model see it. Tokens with {@code normalized: false} are matched in the raw input; those with
 * {@code normalized: true} in each normalized stretch between them (matching their own normalized content). At each
 * position the longest token wins, scanning left to right; then, per token, {@code single_word} discards a match
 * that touches a word character (letter, digit, mark or connector) on either side, {@code lstrip} and
 * {@code rstrip} swallow the whitespace before and after the match.
 */
final class AddedVocabulary {

    /** One entry of {@code added_tokens}. */
    record AddedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized,
            boolean special) {
    }

    /** A stretch of text, or an added token ({@code tokenId >= 0}); {@code start} is its offset in the input. */
    record Segment(String text, int start, int tokenId) {
        boolean isAddedToken() {
            return tokenId >= 0;
        }
    }

    private final List<AddedToken> tokens;
    private final Map<String, AddedToken> byContent = new HashMap<>();
    private final Map<Integer, AddedToken> byId = new HashMap<>();
    private final Trie rawTrie = new Trie();
    private final Trie normalizedTrie = new Trie();

    AddedVocabulary(List<AddedToken> tokens, Normalizer normalizer) {
        this.tokens = List.copyOf(tokens);
        for (AddedToken token : this.tokens) {
            byContent.put(token.content(), token);
            byId.put(token.id(), token);
            if (token.normalized()) {
                normalizedTrie.add(normalizer == null ? token.content() : normalizer.normalize(token.content()), token);
            } else {
                rawTrie.add(token.content(), token);
            }
        }
    }

    List<AddedToken> tokens() {
        return tokens;
    }

    AddedToken byContent(String content) {
        return byContent.get(content);
    }

    AddedToken byId(int id) {
        return byId.get(id);
    }

    /** Cuts the raw input at tokens with {@code normalized: false}. */
    List<Segment> splitRaw(String text) {
        return split(text, rawTrie);
    }

    /** Cuts a normalized stretch at tokens with {@code normalized: true}. */
    List<Segment> splitNormalized(String text) {
        return split(text, normalizedTrie);
    }

    private static List<Segment> split(String text, Trie trie) {
        List<Segment> segments = new ArrayList<>();
        int segmentStart = 0;
        int position = 0;
        while (position < text.length() && !trie.isEmpty()) {
            Trie.Match match = trie.longestAt(text, position);
            if (match == null) {
                position++;
                continue;
            }
            AddedToken token = match.token();
            int start = position;
            int end = match.end();
            position = end;
            if (token.singleWord() && (endsWithWordChar(text, start) || startsWithWordChar(text, end))) {
                continue;
            }
            if (token.lstrip()) {
                start = Math.max(segmentStart, whitespaceStartBefore(text, start));
            }
            if (token.rstrip()) {
                end = whitespaceEndAfter(text, end);
                position = end;
            }
            if (start > segmentStart) {
                segments.add(new Segment(text.substring(segmentStart, start), segmentStart, -1));
            }
            segments.add(new Segment(text.substring(start, end), start, token.id()));
            segmentStart = end;
        }
        if (segmentStart < text.length() || segments.isEmpty()) {
            segments.add(new Segment(text.substring(segmentStart), segmentStart, -1));
        }
        return segments;
    }

    private static boolean endsWithWordChar(String text, int end) {
        return end > 0 && isWordChar(text.codePointBefore(end));
    }

    private static boolean startsWithWordChar(String text, int start) {
        return start < text.length() && isWordChar(text.codePointAt(start));
    }

    /** Rust regex's Unicode {@code \w}: alphabetic, mark, decimal digit, connector punctuation, join control. */
    private static boolean isWordChar(int c) {
        int type = Character.getType(c);
        return Character.isAlphabetic(c) || type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK
                || type == Character.COMBINING_SPACING_MARK || type == Character.DECIMAL_DIGIT_NUMBER
                || type == Character.CONNECTOR_PUNCTUATION || c == 0x200C || c == 0x200D;
    }

    private static int whitespaceStartBefore(String text, int end) {
        int start = end;
        while (start > 0 && Normalizer.isWhitespace(text.codePointBefore(start))) {
            start -= Character.charCount(text.codePointBefore(start));
        }
        return start;
    }

    private static int whitespaceEndAfter(String text, int start) {
        int end = start;
        while (end < text.length() && Normalizer.isWhitespace(text.codePointAt(end))) {
            end += Character.charCount(text.codePointAt(end));
        }
        return end;
    }

    /** A character trie of token contents, with a fast test for characters that start no token. */
    private static final class Trie {
        record Match(AddedToken token, int end) {
        }

        private static final class Node {
            final Map<Character, Node> children = new HashMap<>();
            AddedToken token;
        }

        private final Node root = new Node();
        private final BitSet firstChars = new BitSet(1 << 16);

        void add(String content, AddedToken token) {
            if (content.isEmpty()) {
                return;
            }
            Node node = root;
            for (int i = 0; i < content.length(); i++) {
                node = node.children.computeIfAbsent(content.charAt(i), c -> new Node());
            }
            node.token = token;
            firstChars.set(content.charAt(0));
        }

        boolean isEmpty() {
            return root.children.isEmpty();
        }

        Match longestAt(String text, int start) {
            if (!firstChars.get(text.charAt(start))) {
                return null;
            }
            Node node = root;
            Match longest = null;
            for (int i = start; i < text.length(); i++) {
                node = node.children.get(text.charAt(i));
                if (node == null) {
                    break;
                }
                if (node.token != null) {
                    longest = new Match(node.token, i + 1);
                }
            }
            return longest;
        }
    }
}
