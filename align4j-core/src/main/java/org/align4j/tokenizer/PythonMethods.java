package org.align4j.tokenizer;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Resolves the Python string and dict methods that Jinja2 chat templates call on values, which Jinjava would look up
 * as Java methods and miss (or find with other semantics, like Java's regex {@code split}): on strings
 * {@code startswith}, {@code endswith}, {@code strip}, {@code lstrip}, {@code rstrip}, {@code split},
 * {@code rsplit}, {@code upper}, {@code lower}, {@code title}, {@code capitalize}, {@code replace}, {@code find},
 * {@code count} and {@code join}; on mappings {@code keys}, {@code values} and {@code get}. Every other call falls
 * through to Jinjava's own resolver.
 */
final class PythonMethods extends ELResolver {
    private static final Object NOT_HANDLED = new Object();

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (method == null) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        Object result;
        if (base instanceof String s) {
            result = stringMethod(s, method.toString(), args);
        } else if (base instanceof Map<?, ?> map) {
            result = mapMethod(map, method.toString(), args);
        } else {
            return null;
        }
        if (result != NOT_HANDLED) {
            context.setPropertyResolved(true);
            return result;
        }
        return null;
    }

    private static Object stringMethod(String s, String method, Object[] args) {
        return switch (method) {
            case "startswith" -> anyAffix(args, prefix -> s.startsWith(prefix));
            case "endswith" -> anyAffix(args, suffix -> s.endsWith(suffix));
            case "strip" -> strip(s, charsArgument(args), true, true);
            case "lstrip" -> strip(s, charsArgument(args), true, false);
            case "rstrip" -> strip(s, charsArgument(args), false, true);
            case "split" -> split(s, charsArgument(args), maxSplit(args));
            case "rsplit" -> rsplit(s, charsArgument(args), maxSplit(args));
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s
                    : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "replace" -> replace(s, str(args, 0), str(args, 1), args.length > 2 ? toInt(args[2]) : -1);
            case "find" -> (long) s.indexOf(str(args, 0));
            case "count" -> count(s, str(args, 0));
            case "join" -> join(s, args.length > 0 ? args[0] : List.of());
            default -> NOT_HANDLED;
        };
    }

    private static Object mapMethod(Map<?, ?> map, String method, Object[] args) {
        return switch (method) {
            case "keys" -> new ArrayList<>(map.keySet());
            case "values" -> new ArrayList<>(map.values());
            case "get" -> map.containsKey(args.length > 0 ? args[0] : null) ? map.get(args[0])
                    : args.length > 1 ? args[1] : null;
            default -> NOT_HANDLED;
        };
    }

    private static boolean anyAffix(Object[] args, Predicate<String> test) {
        Object affix = args.length > 0 ? args[0] : "";
        if (affix instanceof Collection<?> options) {
            return options.stream().anyMatch(option -> test.test(String.valueOf(option)));
        }
        return test.test(String.valueOf(affix));
    }

    private static String charsArgument(Object[] args) {
        return args.length > 0 && args[0] != null ? args[0].toString() : null;
    }

    private static int maxSplit(Object[] args) {
        return args.length > 1 && args[1] != null ? toInt(args[1]) : -1;
    }

    private static String str(Object[] args, int index) {
        if (index >= args.length || args[index] == null) {
            throw new IllegalArgumentException("missing string argument " + (index + 1));
        }
        return args[index].toString();
    }

    private static int toInt(Object value) {
        return value instanceof Number n ? n.intValue() : Integer.parseInt(value.toString());
    }

    /** Python's {@code str.isspace} for one character. */
    static boolean isPythonSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        while (left && start < end && stripped(s.codePointAt(start), chars)) {
            start += Character.charCount(s.codePointAt(start));
        }
        while (right && end > start && stripped(s.codePointBefore(end), chars)) {
            end -= Character.charCount(s.codePointBefore(end));
        }
        return s.substring(start, end);
    }

    private static boolean stripped(int c, String chars) {
        return chars == null ? isPythonSpace(c) : chars.indexOf(c) >= 0;
    }

    /** Python's {@code str.split}: on runs of whitespace (dropping empty strings) without a separator. */
    static List<String> split(String s, String separator, int maxSplit) {
        List<String> parts = new ArrayList<>();
        if (separator == null) {
            int i = 0;
            while (true) {
                while (i < s.length() && isPythonSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= s.length()) {
                    break;
                }
                if (maxSplit >= 0 && parts.size() == maxSplit) {
                    parts.add(s.substring(i));
                    break;
                }
                int start = i;
                while (i < s.length() && !isPythonSpace(s.charAt(i))) {
                    i++;
                }
                parts.add(s.substring(start, i));
            }
            return parts;
        }
        if (separator.isEmpty()) {
            throw new IllegalArgumentException("empty separator");
        }
        int start = 0;
        int at;
        while ((maxSplit < 0 || parts.size() < maxSplit) && (at = s.indexOf(separator, start)) >= 0) {
            parts.add(s.substring(start, at));
            start = at + separator.length();
        }
        parts.add(s.substring(start));
        return parts;
    }

    /** Python's {@code str.rsplit} with a separator (without one it splits like {@link #split}). */
    static List<String> rsplit(String s, String separator, int maxSplit) {
        if (separator == null || maxSplit < 0) {
            return split(s, separator, maxSplit);
        }
        List<String> parts = new ArrayList<>();
        int end = s.length();
        int at;
        while (parts.size() < maxSplit && (at = s.lastIndexOf(separator, end - separator.length())) >= 0) {
            parts.addFirst(s.substring(at + separator.length(), end));
            end = at;
        }
        parts.addFirst(s.substring(0, end));
        return parts;
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            out.appendCodePoint(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
            previousCased = Character.isLetter(c);
            i += Character.charCount(c);
        }
        return out.toString();
    }

    private static String replace(String s, String old, String replacement, int count) {
        int limit = count < 0 ? Integer.MAX_VALUE : count;
        StringBuilder out = new StringBuilder();
        if (old.isEmpty()) {
            for (int i = 0; i <= s.length(); i++) {
                if (i < limit) {
                    out.append(replacement);
                }
                if (i < s.length()) {
                    out.append(s.charAt(i));
                }
            }
            return out.toString();
        }
        int start = 0;
        int at;
        for (int done = 0; done < limit && (at = s.indexOf(old, start)) >= 0; done++) {
            out.append(s, start, at).append(replacement);
            start = at + old.length();
        }
        return out.append(s, start, s.length()).toString();
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1L;
        }
        long n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static String join(String separator, Object items) {
        List<String> parts = new ArrayList<>();
        if (items instanceof Iterable<?> iterable) {
            iterable.forEach(item -> parts.add(String.valueOf(item)));
        } else {
            parts.add(String.valueOf(items));
        }
        return String.join(separator, parts);
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // Properties are left to Jinjava's resolver.
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return false;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
