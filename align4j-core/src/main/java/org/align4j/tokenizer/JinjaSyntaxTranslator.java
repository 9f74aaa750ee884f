package org.align4j.tokenizer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites the expressions of a Jinja2 template where Jinjava's parser reads Python/Jinja2 syntax differently or not
 * at all, so that chat templates written for Python render the same:
 * <ul>
 *   <li>slices with a step, {@code x[a:b:c]} (e.g. {@code messages[::-1]}), become
 *       {@code __py_slice(x, a, b, c)}, a function {@link ChatTemplate} registers;</li>
 *   <li>keyword arguments whose value is an expression, {@code f(k=a - 1)}, get parentheses,
 *       {@code f(k=(a - 1))}, since Jinjava binds {@code k=a} before the operator.</li>
 * </ul>
 * It also applies Jinja2's whitespace handling to the template text, since Jinjava ignores {@code {{- -}}} and
 * {@code {#- -#}} and strips blocks differently: {@code -} markers remove the whitespace before or after a tag,
 * {@code lstrip_blocks} removes the indentation before a block or comment tag that starts its line,
 * {@code trim_blocks} the newline after one ({@code +} markers turn both off), and comments are dropped. The result
 * is meant for Jinjava with its own {@code trimBlocks} and {@code lstripBlocks} off. Otherwise only the insides of
 * {@code {{ }}} and {@code {% %}} tags change; text and {@code raw} blocks are kept as they are. Python method calls ({@code .startswith(...)}) need no rewriting: {@link PythonMethods} resolves
 * them.
 */
final class JinjaSyntaxTranslator {
    /** The name of the slicing function that rewritten step slices call. */
    static final String SLICE_FUNCTION = "__py_slice";

    private static final Pattern END_RAW = Pattern.compile("\\{%[-+]?\\s*endraw\\s*[-+]?%}");
    private static final Pattern FIRST_WORD = Pattern.compile("^[-+]?\\s*(\\w*)");
    private static final Set<String> TWO_CHARACTER_OPERATORS = Set.of("==", "!=", "<=", ">=", "**", "//");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "not", "in", "is", "if", "elif", "else", "for",
            "set", "with", "print", "return");

    private enum Kind { SPACE, NAME, NUMBER, STRING, OPEN, CLOSE, OPERATOR }

    private record Token(Kind kind, String text) {
        boolean is(String s) {
            return text.equals(s);
        }
    }

    private JinjaSyntaxTranslator() {
    }

    static String translate(String template) {
        StringBuilder out = new StringBuilder(template.length() + 64);
        int i = 0;
        boolean stripLeadingWhitespace = false;
        boolean trimNewline = false;
        boolean lineStarting = true;
        while (i <= template.length()) {
            int open = nextTagStart(template, i);
            int textEnd = open < 0 ? template.length() : open;
            int textStart = i;
            if (stripLeadingWhitespace) {
                while (textStart < textEnd && Character.isWhitespace(template.charAt(textStart))) {
                    textStart++;
                }
                lineStarting = textStart > i && template.charAt(textStart - 1) == '\n';
            } else if (trimNewline && template.startsWith("\n", textStart)) {
                textStart++;
                lineStarting = true;
            } else if (trimNewline && template.startsWith("\r\n", textStart)) {
                textStart += 2;
                lineStarting = true;
            }
            int textAt = out.length();
            out.append(template, textStart, textEnd);
            if (open < 0) {
                break;
            }
            char kind = template.charAt(open + 1);
            String closing = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
            int close = kind == '#' ? template.indexOf(closing, open + 2) : tagEnd(template, open + 2, closing);
            if (close < 0) {
                out.append(template, open, template.length());
                break;
            }
            String inside = template.substring(open + 2, close);
            char left = inside.isEmpty() ? ' ' : inside.charAt(0);
            if (left == '-' || left == '+') {
                inside = inside.substring(1);
            }
            char right = inside.isEmpty() ? ' ' : inside.charAt(inside.length() - 1);
            if (right == '-' || right == '+') {
                inside = inside.substring(0, inside.length() - 1);
            }
            boolean block = kind != '{';
            if (left == '-') {
                out.setLength(out.length() - trailingWhitespace(out));
            } else if (block && left != '+') {
                lstripBlock(out, textAt, lineStarting);
            }
            Matcher firstWord = FIRST_WORD.matcher(inside);
            String statement = kind == '%' && firstWord.find() ? firstWord.group(1) : "";
            int next = close + 2;
            if (statement.equals("raw")) {
                Matcher endRaw = END_RAW.matcher(template);
                next = endRaw.find(next) ? endRaw.end() : template.length();
                out.append(template, open, next);
            } else if (kind != '#') {
                out.append(template, open, open + 2).append(translateExpression(inside, !statement.equals("macro")))
                        .append(closing);
            }
            stripLeadingWhitespace = right == '-';
            trimNewline = block && right != '+' && right != '-';
            lineStarting = false;
            i = next;
        }
        return out.toString();
    }

    /**
     * Jinja2's {@code lstrip_blocks}: removes the spaces and tabs between the start of a line and a block or comment
     * tag, if nothing else stands there. {@code textAt} is where the text before the tag starts in {@code out};
     * {@code lineStarting} whether that text starts a line.
     */
    private static void lstripBlock(StringBuilder out, int textAt, boolean lineStarting) {
        int newline = out.lastIndexOf("\n");
        int lineStart;
        if (newline >= textAt) {
            lineStart = newline + 1;
        } else if (lineStarting) {
            lineStart = textAt;
        } else {
            return;
        }
        for (int k = lineStart; k < out.length(); k++) {
            if (out.charAt(k) != ' ' && out.charAt(k) != '\t') {
                return;
            }
        }
        out.setLength(lineStart);
    }

    private static int trailingWhitespace(StringBuilder text) {
        int n = 0;
        while (n < text.length() && Character.isWhitespace(text.charAt(text.length() - 1 - n))) {
            n++;
        }
        return n;
    }

    private static int nextTagStart(String template, int from) {
        int i = template.indexOf('{', from);
        while (i >= 0 && i + 1 < template.length()) {
            char next = template.charAt(i + 1);
            if (next == '{' || next == '%' || next == '#') {
                return i;
            }
            i = template.indexOf('{', i + 1);
        }
        return -1;
    }

    /** The index of {@code closing} that ends a tag, skipping string literals. */
    private static int tagEnd(String template, int from, String closing) {
        int i = from;
        while (i < template.length()) {
            char c = template.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(template, i);
            } else if (template.startsWith(closing, i)) {
                return i;
            } else {
                i++;
            }
        }
        return -1;
    }

    private static int stringEnd(String text, int quoteAt) {
        char quote = text.charAt(quoteAt);
        int i = quoteAt + 1;
        while (i < text.length() && text.charAt(i) != quote) {
            i += text.charAt(i) == '\\' ? 2 : 1;
        }
        return Math.min(i + 1, text.length());
    }

    static String translateExpression(String expression, boolean rewriteKeywordArguments) {
        List<Token> tokens = lex(expression);
        int[] partner = matchBrackets(tokens);
        if (partner == null) {
            return expression;
        }
        return new Rewriter(tokens, partner, rewriteKeywordArguments).rewrite(0, tokens.size());
    }

    private static List<Token> lex(String s) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            int start = i;
            Kind kind;
            if (Character.isWhitespace(c)) {
                while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                    i++;
                }
                kind = Kind.SPACE;
            } else if (c == '\'' || c == '"') {
                i = stringEnd(s, i);
                kind = Kind.STRING;
            } else if (Character.isLetter(c) || c == '_') {
                while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
                    i++;
                }
                kind = Kind.NAME;
            } else if (Character.isDigit(c)) {
                while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                    i++;
                }
                kind = Kind.NUMBER;
            } else if ("([{".indexOf(c) >= 0) {
                i++;
                kind = Kind.OPEN;
            } else if (")]}".indexOf(c) >= 0) {
                i++;
                kind = Kind.CLOSE;
            } else {
                String pair = i + 1 < s.length() ? s.substring(i, i + 2) : "";
                i += TWO_CHARACTER_OPERATORS.contains(pair) ? 2 : 1;
                kind = Kind.OPERATOR;
            }
            tokens.add(new Token(kind, s.substring(start, i)));
        }
        return tokens;
    }

    /** For each bracket token the index of its partner, or null if the brackets do not balance. */
    private static int[] matchBrackets(List<Token> tokens) {
        int[] partner = new int[tokens.size()];
        Deque<Integer> open = new ArrayDeque<>();
        for (int i = 0; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            if (t.kind() == Kind.OPEN) {
                open.push(i);
            } else if (t.kind() == Kind.CLOSE) {
                if (open.isEmpty() || "([{".indexOf(tokens.get(open.peek()).text().charAt(0))
                        != ")]}".indexOf(t.text().charAt(0))) {
                    return null;
                }
                int o = open.pop();
                partner[o] = i;
                partner[i] = o;
            }
        }
        return open.isEmpty() ? partner : null;
    }

    private record Rewriter(List<Token> tokens, int[] partner, boolean rewriteKeywordArguments) {

        String rewrite(int from, int to) {
            StringBuilder out = new StringBuilder();
            int[] outputStart = new int[to - from];
            for (int i = from; i < to; i++) {
                outputStart[i - from] = out.length();
                Token t = tokens.get(i);
                if (t.kind() != Kind.OPEN) {
                    out.append(t.text());
                    continue;
                }
                int close = partner[i];
                List<int[]> colonParts = parts(i + 1, close, ":");
                if (t.is("[") && colonParts.size() == 3 && chainStart(i, from) < i) {
                    int chainAt = outputStart[chainStart(i, from) - from];
                    String chain = out.substring(chainAt);
                    out.setLength(chainAt);
                    out.append(SLICE_FUNCTION).append('(').append(chain.strip());
                    for (int[] part : colonParts) {
                        String bound = rewrite(part[0], part[1]).strip();
                        out.append(", ").append(bound.isEmpty() ? "none" : bound);
                    }
                    out.append(')');
                } else if (t.is("(") && isCall(i, from)) {
                    out.append('(');
                    List<int[]> arguments = parts(i + 1, close, ",");
                    for (int a = 0; a < arguments.size(); a++) {
                        out.append(a > 0 ? "," : "").append(argument(arguments.get(a)[0], arguments.get(a)[1]));
                    }
                    out.append(')');
                } else {
                    out.append(t.text()).append(rewrite(i + 1, close)).append(tokens.get(close).text());
                }
                i = close;
            }
            return out.toString();
        }

        /** One call argument; {@code name=expression} with more than one token gets the expression parenthesized. */
        private String argument(int from, int to) {
            int name = skipSpace(from, to);
            int equals = name < to ? skipSpace(name + 1, to) : to;
            if (rewriteKeywordArguments && name < to && tokens.get(name).kind() == Kind.NAME && equals < to
                    && tokens.get(equals).is("=")) {
                int valueStart = skipSpace(equals + 1, to);
                int significant = 0;
                for (int i = valueStart; i < to; i++) {
                    significant += tokens.get(i).kind() == Kind.SPACE ? 0 : 1;
                }
                if (significant > 1) {
                    StringBuilder out = new StringBuilder();
                    for (int i = from; i <= equals; i++) {
                        out.append(tokens.get(i).text());
                    }
                    return out.append('(').append(rewrite(valueStart, to).strip()).append(')').toString();
                }
            }
            return rewrite(from, to);
        }

        /** The token ranges between top-level {@code separator}s in [from, to). */
        private List<int[]> parts(int from, int to, String separator) {
            List<int[]> parts = new ArrayList<>();
            int start = from;
            for (int i = from; i < to; i++) {
                Token t = tokens.get(i);
                if (t.kind() == Kind.OPEN) {
                    i = partner[i];
                } else if (t.is(separator)) {
                    parts.add(new int[] {start, i});
                    start = i + 1;
                }
            }
            parts.add(new int[] {start, to});
            return parts;
        }

        /** Whether the bracket at {@code open} follows something it applies to (a name, call, subscript). */
        private boolean isCall(int open, int from) {
            int p = previous(open, from);
            if (p < from) {
                return false;
            }
            Token t = tokens.get(p);
            return (t.kind() == Kind.NAME && !KEYWORDS.contains(t.text())) || t.is(")") || t.is("]");
        }

        /**
         * The first token of the postfix chain (names, literals, attribute access, calls, subscripts) that ends
         * just before {@code open}; {@code open} itself if there is none.
         */
        private int chainStart(int open, int from) {
            int p = previous(open, from);
            int start = open;
            while (p >= from) {
                Token t = tokens.get(p);
                if (t.kind() == Kind.CLOSE) {
                    start = partner[p];
                    if (!isCall(start, from)) {
                        return start;
                    }
                    p = previous(start, from);
                } else if (t.kind() == Kind.NAME || t.kind() == Kind.STRING || t.kind() == Kind.NUMBER) {
                    start = p;
                    int dot = previous(p, from);
                    if (dot < from || !tokens.get(dot).is(".")) {
                        return start;
                    }
                    p = previous(dot, from);
                } else {
                    return start;
                }
            }
            return start;
        }

        private int previous(int index, int from) {
            int p = index - 1;
            while (p >= from && tokens.get(p).kind() == Kind.SPACE) {
                p--;
            }
            return p;
        }

        private int skipSpace(int index, int to) {
            while (index < to && tokens.get(index).kind() == Kind.SPACE) {
                index++;
            }
            return index;
        }
    }
}
