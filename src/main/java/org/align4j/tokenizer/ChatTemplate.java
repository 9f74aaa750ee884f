package org.align4j.tokenizer;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.PrettyPrinter;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.CompositeELResolver;

/**
 * A Hugging Face chat template: the Jinja2 template of {@code tokenizer_config.json}'s {@code chat_template} or
 * {@code chat_template.jinja} that turns a list of messages into a model's prompt text, rendered with Jinjava the way
 * {@code transformers}' {@code apply_chat_template(tokenize=False)} renders it with Jinja2: {@code trim_blocks} and
 * {@code lstrip_blocks} on (applied by {@link JinjaSyntaxTranslator}), the template's single trailing newline dropped, {@code raise_exception(message)},
 * {@code strftime_now(format)} and a Python-style {@code tojson} filter available, and the special tokens
 * ({@code bos_token}, {@code eos_token}, ...) defined.
 *
 * <p>Python syntax that Jinjava lacks is bridged: step slices and expression keyword arguments by
 * {@link JinjaSyntaxTranslator}, Python string and dict methods by {@link PythonMethods}. Rendering is thread-safe.
 */
public final class ChatTemplate {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final String source;
    private final Map<String, Object> globals;
    private final Jinjava jinjava;

    /**
     * @param source the Jinja2 template
     * @param globals variables every rendering sees, typically the special tokens ({@code bos_token} ...)
     */
    public ChatTemplate(String source, Map<String, ?> globals) {
        String template = source.endsWith("\n") ? source.substring(0, source.length() - 1) : source;
        this.source = JinjaSyntaxTranslator.translate(template);
        this.globals = Map.copyOf(globals);
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withNestedInterpretationEnabled(false)
                .withElResolver(resolver)
                .build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                TemplateFunctions.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                TemplateFunctions.class, "strftimeNow", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", JinjaSyntaxTranslator.SLICE_FUNCTION,
                TemplateFunctions.class, "slice", Object.class, Object.class, Object.class, Object.class));
        jinjava.getGlobalContext().registerFilter(new PythonJsonFilter());
    }

    /**
     * Renders {@code messages} (maps with {@code role}, {@code content} and whatever else the template reads).
     *
     * @param addGenerationPrompt whether to end with the header of an assistant turn
     * @param extra further template variables, e.g. {@code tools}, {@code enable_thinking}
     * @throws TokenizerException if the template raises an exception or fails to render
     */
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt, Map<String, Object> extra) {
        Map<String, Object> context = new HashMap<>(globals);
        context.putAll(extra);
        context.put("messages", messages);
        context.put("add_generation_prompt", addGenerationPrompt);
        RenderResult result = jinjava.renderForResult(source, context);
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw templateError(error);
            }
        }
        return result.getOutput();
    }

    private static TokenizerException templateError(TemplateError error) {
        for (Throwable cause = error.getException(); cause != null; cause = cause.getCause()) {
            if (cause instanceof TemplateFunctions.RaisedException raised) {
                return new TokenizerException("chat template: " + raised.getMessage());
            }
        }
        String message = error.getMessage() == null ? error.getReason().toString() : error.getMessage();
        return new TokenizerException("chat template line " + error.getLineno() + ": " + message.replace('\n', ' '));
    }

    /**
     * {@code tojson} as {@code transformers} defines it: Python's {@code json.dumps(value, ensure_ascii=False)}
     * ({@code ", "} and {@code ": "} separators; with {@code indent}, one entry a line).
     */
    private static final class PythonJsonFilter implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
            return toJson(value, args.length > 0 && args[0] != null ? Integer.parseInt(args[0]) : -1);
        }

        @Override
        public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
            return toJson(value, indent == null ? -1 : Integer.parseInt(indent.toString()));
        }
    }

    static String toJson(Object value, int indent) {
        try {
            return JSON.writer(new PythonJsonPrinter(indent)).with(new PythonEscapes()).writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("tojson: " + e.getOriginalMessage(), e);
        }
    }

    /** Python {@code json.dumps} escapes: control characters as {@code \\uXXXX} with lowercase hex digits. */
    private static final class PythonEscapes extends CharacterEscapes {
        private static final long serialVersionUID = 1L;
        private final int[] escapes = standardAsciiEscapesForJSON();

        PythonEscapes() {
            for (int c = 0; c < 32; c++) {
                if (escapes[c] == ESCAPE_STANDARD && "\b\t\n\f\r".indexOf(c) < 0) {
                    escapes[c] = ESCAPE_CUSTOM;
                }
            }
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return escapes;
        }

        @Override
        public SerializableString getEscapeSequence(int c) {
            return c < 32 ? new SerializedString(String.format("\\u%04x", c)) : null;
        }
    }

    /** Python {@code json.dumps} layout. */
    private static final class PythonJsonPrinter implements PrettyPrinter {
        private final int indent;
        private int depth;

        PythonJsonPrinter(int indent) {
            this.indent = indent;
        }

        private void newline(JsonGenerator g) throws IOException {
            if (indent >= 0) {
                g.writeRaw("\n" + " ".repeat(indent * depth));
            }
        }

        @Override
        public void writeRootValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(' ');
        }

        @Override
        public void writeStartObject(JsonGenerator g) throws IOException {
            g.writeRaw('{');
            depth++;
        }

        @Override
        public void beforeObjectEntries(JsonGenerator g) throws IOException {
            newline(g);
        }

        @Override
        public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(": ");
        }

        @Override
        public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
            g.writeRaw(indent >= 0 ? "," : ", ");
            newline(g);
        }

        @Override
        public void writeEndObject(JsonGenerator g, int entries) throws IOException {
            depth--;
            if (entries > 0) {
                newline(g);
            }
            g.writeRaw('}');
        }

        @Override
        public void writeStartArray(JsonGenerator g) throws IOException {
            g.writeRaw('[');
            depth++;
        }

        @Override
        public void beforeArrayValues(JsonGenerator g) throws IOException {
            newline(g);
        }

        @Override
        public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(indent >= 0 ? "," : ", ");
            newline(g);
        }

        @Override
        public void writeEndArray(JsonGenerator g, int values) throws IOException {
            depth--;
            if (values > 0) {
                newline(g);
            }
            g.writeRaw(']');
        }
    }
}
