package org.align4j.tokenizer;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The functions {@code transformers} gives chat templates ({@code raise_exception}, {@code strftime_now}), and the
 * Python slicing that {@link JinjaSyntaxTranslator} rewrites step slices into; {@link ChatTemplate} registers them
 * with Jinjava.
 */
final class TemplateFunctions {
    private TemplateFunctions() {
    }

    /** Thrown by the template's {@code raise_exception(message)}. */
    static final class RaisedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RaisedException(String message) {
            super(message);
        }
    }

    /** {@code raise_exception(message)}: aborts rendering with the template's message. */
    public static Object raiseException(String message) {
        throw new RaisedException(message);
    }

    /** {@code strftime_now(format)}: the current local time in a Python {@code strftime} format. */
    public static String strftimeNow(String format) {
        return formatPythonTime(LocalDateTime.now(), format);
    }

    static String formatPythonTime(LocalDateTime time, String format) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                out.append(c);
                continue;
            }
            char directive = format.charAt(++i);
            String pattern = switch (directive) {
                case 'd' -> "dd";
                case 'm' -> "MM";
                case 'Y' -> "yyyy";
                case 'y' -> "yy";
                case 'b' -> "MMM";
                case 'B' -> "MMMM";
                case 'a' -> "EEE";
                case 'A' -> "EEEE";
                case 'H' -> "HH";
                case 'I' -> "hh";
                case 'M' -> "mm";
                case 'S' -> "ss";
                case 'p' -> "a";
                case 'j' -> "DDD";
                case '%' -> "'%'";
                default -> throw new IllegalArgumentException("strftime_now: unsupported directive %" + directive);
            };
            out.append(DateTimeFormatter.ofPattern(pattern, Locale.ENGLISH).format(time));
        }
        return out.toString();
    }

    /** Python slicing {@code value[start:stop:step]} of a list or string; bounds may be null. */
    public static Object slice(Object value, Object start, Object stop, Object step) {
        int stride = step == null ? 1 : ((Number) step).intValue();
        if (stride == 0) {
            throw new IllegalArgumentException("slice step cannot be zero");
        }
        List<?> items = value instanceof String s ? s.codePoints().boxed().toList()
                : value instanceof List<?> list ? list : null;
        if (items == null) {
            throw new IllegalArgumentException("cannot slice " + (value == null ? "none" : value.getClass().getSimpleName()));
        }
        int n = items.size();
        int first = bound(start, n, stride > 0 ? 0 : n - 1, stride);
        int last = bound(stop, n, stride > 0 ? n : -1, stride);
        List<Object> out = new ArrayList<>();
        for (int i = first; stride > 0 ? i < last : i > last; i += stride) {
            out.add(items.get(i));
        }
        if (value instanceof String) {
            StringBuilder text = new StringBuilder();
            out.forEach(c -> text.appendCodePoint((Integer) c));
            return text.toString();
        }
        return out;
    }

    private static int bound(Object value, int n, int defaultValue, int stride) {
        if (value == null) {
            return defaultValue;
        }
        int i = ((Number) value).intValue();
        if (i < 0) {
            i += n;
        }
        return stride > 0 ? Math.clamp(i, 0, n) : Math.clamp(i, -1, n - 1);
    }
}
