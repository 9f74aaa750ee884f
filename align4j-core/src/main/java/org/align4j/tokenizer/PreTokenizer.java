package org.align4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hugging Face {@code tokenizers} pre-tokenizer: cuts normalized text into the pieces ("words") that the model
 * tokenizes one by one, possibly rewriting them. Supported types: {@code ByteLevel}, {@code Split}, {@code Metaspace},
 * {@code Whitespace}, {@code WhitespaceSplit}, {@code Digits} and {@code Sequence}.
 *
 * <p>Each piece travels with one fact about its position: whether it starts at offset 0 of the original input, which
 * {@code Metaspace} with {@code prepend_scheme: "first"} needs.
 */
sealed interface PreTokenizer {

    /** Receives the pieces a pre-tokenizer produces, in order. */
    @FunctionalInterface
    interface PieceSink {
        void accept(String piece, boolean atTextStart);
    }

    void split(String text, boolean atTextStart, PieceSink sink);

    /** Whether the pieces come out as {@link ByteLevelAlphabet} text, whose 256 characters the vocabulary must hold. */
    default boolean writesByteLevelText() {
        return switch (this) {
            case ByteLevel byteLevel -> true;
            case Sequence sequence -> sequence.steps().stream().anyMatch(PreTokenizer::writesByteLevelText);
            default -> false;
        };
    }

    /** The regex of GPT-2's encoder, used by {@code ByteLevel} with {@code use_regex: true}. */
    Pattern GPT2_REGEX = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    /** The pattern of {@code Whitespace}: runs of word characters and runs of other non-space characters. */
    Pattern WHITESPACE_WORDS = Pattern.compile("\\w+|[^\\w\\s]+", Pattern.UNICODE_CHARACTER_CLASS);

    static PreTokenizer parse(JsonNode node, TokenizerFile file) {
        String type = file.type(node, "pre_tokenizer");
        return switch (type) {
            case "ByteLevel" -> new ByteLevel(file.bool(node, "add_prefix_space", true), file.bool(node, "use_regex", true));
            case "Split" -> new Split(new PatternMatcher(file.pattern(node, "pattern", "Split pre_tokenizer")),
                    SplitBehavior.parse(file.requiredText(node, "behavior", "Split pre_tokenizer"), file),
                    file.bool(node, "invert", false));
            case "Metaspace" -> new Metaspace(file.character(node, "replacement", "Metaspace pre_tokenizer"),
                    PrependScheme.parse(node, file), file.bool(node, "split", true));
            case "Whitespace" -> new Split(new PatternMatcher(WHITESPACE_WORDS), SplitBehavior.REMOVED, true);
            case "WhitespaceSplit" -> new Split(new CharMatcher(Normalizer::isWhitespace), SplitBehavior.REMOVED, false);
            case "Digits" -> new Split(new CharMatcher(PreTokenizer::isNumeric),
                    file.bool(node, "individual_digits", false) ? SplitBehavior.ISOLATED : SplitBehavior.CONTIGUOUS,
                    false);
            case "Sequence" -> {
                List<PreTokenizer> steps = new ArrayList<>();
                for (JsonNode step : file.array(node, "pretokenizers", "Sequence pre_tokenizer")) {
                    steps.add(parse(step, file));
                }
                yield new Sequence(List.copyOf(steps));
            }
            default -> throw file.unsupported("pre_tokenizer", type);
        };
    }

    /**
     * {@code ByteLevel}: optionally prefixes a space to each piece that lacks one, optionally splits it with
     * {@link #GPT2_REGEX}, then writes each piece's UTF-8 bytes as {@link ByteLevelAlphabet} characters.
     */
    record ByteLevel(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        private static final Split GPT2_SPLIT = new Split(new PatternMatcher(GPT2_REGEX), SplitBehavior.ISOLATED, false);

        @Override
        public void split(String text, boolean atTextStart, PieceSink sink) {
            String prefixed = addPrefixSpace && !text.startsWith(" ") ? " " + text : text;
            if (useRegex) {
                GPT2_SPLIT.split(prefixed, atTextStart, (piece, start) -> sink.accept(ByteLevelAlphabet.encode(piece), start));
            } else {
                sink.accept(ByteLevelAlphabet.encode(prefixed), atTextStart);
            }
        }
    }

    /** How {@code Split} treats the matched delimiters (HF {@code SplitDelimiterBehavior}). */
    enum SplitBehavior {
        /** Delimiters are dropped. */
        REMOVED,
        /** Each delimiter is a piece of its own. */
        ISOLATED,
        /** Each delimiter joins the piece before it. */
        MERGED_WITH_PREVIOUS,
        /** Each delimiter joins the piece after it. */
        MERGED_WITH_NEXT,
        /** Adjacent delimiters form one piece. */
        CONTIGUOUS;

        static SplitBehavior parse(String name, TokenizerFile file) {
            return switch (name) {
                case "Removed" -> REMOVED;
                case "Isolated" -> ISOLATED;
                case "MergedWithPrevious" -> MERGED_WITH_PREVIOUS;
                case "MergedWithNext" -> MERGED_WITH_NEXT;
                case "Contiguous" -> CONTIGUOUS;
                default -> throw file.error("unsupported Split behavior '" + name + "'");
            };
        }
    }

    /** Finds delimiters in a piece: appends (start, end) pairs of the matches, in order, to {@code out}. */
    sealed interface DelimiterMatcher {
        void find(String text, Regions out);
    }

    /** Delimiters are the matches of a regex (HF's {@code find_iter}; empty matches count). */
    record PatternMatcher(Pattern pattern) implements DelimiterMatcher {
        @Override
        public void find(String text, Regions out) {
            Matcher m = pattern.matcher(text);
            int previous = 0;
            while (m.find()) {
                if (m.start() > previous) {
                    out.add(previous, m.start(), false);
                }
                out.add(m.start(), m.end(), true);
                previous = m.end();
            }
            if (previous < text.length()) {
                out.add(previous, text.length(), false);
            }
        }
    }

    /** Delimiters are single characters that satisfy a predicate; each is a match of its own. */
    record CharMatcher(IntPredicate isDelimiter) implements DelimiterMatcher {
        @Override
        public void find(String text, Regions out) {
            int previous = 0;
            for (int i = 0; i < text.length(); ) {
                int c = text.codePointAt(i);
                int next = i + Character.charCount(c);
                if (isDelimiter.test(c)) {
                    if (i > previous) {
                        out.add(previous, i, false);
                    }
                    out.add(i, next, true);
                    previous = next;
                }
                i = next;
            }
            if (previous < text.length()) {
                out.add(previous, text.length(), false);
            }
        }
    }

    /** The regions a {@link DelimiterMatcher} cuts a text into: consecutive (start, end, is-delimiter) triples. */
    final class Regions {
        int[] starts = new int[16];
        int[] ends = new int[16];
        boolean[] delimiter = new boolean[16];
        int size;

        void add(int start, int end, boolean isDelimiter) {
            if (size == starts.length) {
                starts = Arrays.copyOf(starts, size * 2);
                ends = Arrays.copyOf(ends, size * 2);
                delimiter = Arrays.copyOf(delimiter, size * 2);
            }
            starts[size] = start;
            ends[size] = end;
            delimiter[size] = isDelimiter;
            size++;
        }
    }

    /**
     * {@code Split} (and {@code Whitespace}, {@code WhitespaceSplit}, {@code Digits}, which are splits with fixed
     * patterns): cuts each piece at the delimiters found by a pattern, {@code invert} swapping delimiters and the
     * text between them, and treats delimiters per {@link SplitBehavior}. Empty pieces are dropped.
     */
    record Split(DelimiterMatcher matcher, SplitBehavior behavior, boolean invert) implements PreTokenizer {
        @Override
        public void split(String text, boolean atTextStart, PieceSink sink) {
            if (text.isEmpty()) {
                return;
            }
            Regions regions = new Regions();
            matcher.find(text, regions);
            if (invert) {
                for (int i = 0; i < regions.size; i++) {
                    regions.delimiter[i] = !regions.delimiter[i];
                }
            }
            switch (behavior) {
                case ISOLATED -> {
                    for (int i = 0; i < regions.size; i++) {
                        emit(text, regions.starts[i], regions.ends[i], atTextStart, sink);
                    }
                }
                case REMOVED -> {
                    for (int i = 0; i < regions.size; i++) {
                        if (!regions.delimiter[i]) {
                            emit(text, regions.starts[i], regions.ends[i], atTextStart, sink);
                        }
                    }
                }
                case MERGED_WITH_PREVIOUS, CONTIGUOUS -> emitMergedForward(text, regions, atTextStart, sink);
                case MERGED_WITH_NEXT -> emitMergedWithNext(text, regions, atTextStart, sink);
            }
        }

        private void emitMergedForward(String text, Regions regions, boolean atTextStart, PieceSink sink) {
            int pieceStart = -1;
            int pieceEnd = -1;
            boolean previousDelimiter = false;
            for (int i = 0; i < regions.size; i++) {
                boolean isDelimiter = regions.delimiter[i];
                boolean extend = behavior == SplitBehavior.CONTIGUOUS
                        ? isDelimiter == previousDelimiter
                        : isDelimiter && !previousDelimiter;
                if (extend && pieceStart >= 0) {
                    pieceEnd = regions.ends[i];
                } else {
                    if (pieceStart >= 0) {
                        emit(text, pieceStart, pieceEnd, atTextStart, sink);
                    }
                    pieceStart = regions.starts[i];
                    pieceEnd = regions.ends[i];
                }
                previousDelimiter = isDelimiter;
            }
            if (pieceStart >= 0) {
                emit(text, pieceStart, pieceEnd, atTextStart, sink);
            }
        }

        private static void emitMergedWithNext(String text, Regions regions, boolean atTextStart, PieceSink sink) {
            int n = regions.size;
            int[] pieceStarts = new int[n];
            int[] pieceEnds = new int[n];
            int pieces = 0;
            boolean previousDelimiter = false;
            for (int i = n - 1; i >= 0; i--) {
                boolean isDelimiter = regions.delimiter[i];
                if (isDelimiter && !previousDelimiter && pieces > 0) {
                    pieceStarts[pieces - 1] = regions.starts[i];
                } else {
                    pieceStarts[pieces] = regions.starts[i];
                    pieceEnds[pieces] = regions.ends[i];
                    pieces++;
                }
                previousDelimiter = isDelimiter;
            }
            for (int p = pieces - 1; p >= 0; p--) {
                emit(text, pieceStarts[p], pieceEnds[p], atTextStart, sink);
            }
        }

        private static void emit(String text, int start, int end, boolean atTextStart, PieceSink sink) {
            if (end > start) {
                sink.accept(text.substring(start, end), atTextStart && start == 0);
            }
        }
    }

    /** When {@code Metaspace} puts a replacement character in front of a piece (HF {@code PrependScheme}). */
    enum PrependScheme {
        ALWAYS, FIRST, NEVER;

        static PrependScheme parse(JsonNode node, TokenizerFile file) {
            String scheme = file.optionalText(node, "prepend_scheme");
            if (scheme == null) {
                return file.bool(node, "add_prefix_space", true) ? ALWAYS : NEVER;
            }
            return switch (scheme) {
                case "always" -> ALWAYS;
                case "first" -> FIRST;
                case "never" -> NEVER;
                default -> throw file.error("unsupported Metaspace prepend_scheme '" + scheme + "'");
            };
        }
    }

    /**
     * {@code Metaspace} (SentencePiece style): replaces spaces by {@code replacement} (usually {@code ▁}), prepends
     * one per {@link PrependScheme} ({@code first}: only to the piece that starts the input), then, if
     * {@code split}, cuts before each replacement character.
     */
    record Metaspace(int replacement, PrependScheme prependScheme, boolean splitOnReplacement) implements PreTokenizer {
        @Override
        public void split(String text, boolean atTextStart, PieceSink sink) {
            String marker = Character.toString(replacement);
            String replaced = text.replace(" ", marker);
            boolean prepend = switch (prependScheme) {
                case ALWAYS -> !replaced.startsWith(marker);
                case FIRST -> !replaced.startsWith(marker) && atTextStart;
                case NEVER -> false;
            };
            if (prepend) {
                replaced = marker + replaced;
            }
            if (splitOnReplacement) {
                new Split(new CharMatcher(c -> c == replacement), SplitBehavior.MERGED_WITH_NEXT, false)
                        .split(replaced, atTextStart, sink);
            } else {
                sink.accept(replaced, atTextStart);
            }
        }
    }

    /** {@code Sequence}: each pre-tokenizer splits every piece the previous one produced. */
    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        @Override
        public void split(String text, boolean atTextStart, PieceSink sink) {
            splitFrom(0, text, atTextStart, sink);
        }

        private void splitFrom(int step, String text, boolean atTextStart, PieceSink sink) {
            if (step == steps.size()) {
                sink.accept(text, atTextStart);
            } else {
                steps.get(step).split(text, atTextStart, (piece, start) -> splitFrom(step + 1, piece, start, sink));
            }
        }
    }

    /** Rust's {@code char::is_numeric}: general category Nd, Nl or No. */
    static boolean isNumeric(int c) {
        int type = Character.getType(c);
        return type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER
                || type == Character.OTHER_NUMBER;
    }
}
