package org.align4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ChatTemplateTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static String render(String template, Map<String, Object> variables) {
        return new ChatTemplate(template, Map.of("bos_token", "<s>", "eos_token", "</s>"))
                .render(List.of(Map.of("role", "user", "content", "Hi")), false, variables);
    }

    private static String render(String template) {
        return render(template, Map.of());
    }

    /**
     * The Qwen3 template on conversations the golden file lacks (reasoning, tool calls, tools, enable_thinking),
     * against Python Jinja2 run with the environment {@code transformers} uses ({@code chat-templates/qwen3-jinja2.json}).
     */
    static Stream<Arguments> qwen3Cases() throws IOException {
        List<Arguments> cases = new ArrayList<>();
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream("/chat-templates/qwen3-jinja2.json")) {
            for (JsonNode c : JSON.readTree(in).get("cases")) {
                cases.add(Arguments.of(c.get("name").asText(), c));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("qwen3Cases")
    void rendersQwen3LikeJinja2(String name, JsonNode c) {
        ChatTemplate template = GoldenTokenizerTest.Fixtures.tokenizer("qwen3").chatTemplate().orElseThrow();
        List<Map<String, Object>> messages = JSON.convertValue(c.get("messages"),
                JSON.getTypeFactory().constructCollectionType(List.class, Map.class));
        Map<String, Object> extra = JSON.convertValue(c.get("extra"), JSON.getTypeFactory().constructMapType(
                Map.class, String.class, Object.class));
        assertEquals(c.get("text").asText(), template.render(messages, c.get("add_generation_prompt").asBoolean(), extra));
    }

    /** Meta-Llama-3's template; the expected text is Python Jinja2's ({@code |trim} binds before {@code +}). */
    @Test
    void rendersLlama3Template() {
        String llama3 = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
                + "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + "
                + "'<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
                + "{{ content }}{% endfor %}{% if add_generation_prompt %}"
                + "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
        ChatTemplate chat = new ChatTemplate(llama3, Map.of("bos_token", "<|begin_of_text|>"));
        List<Map<String, Object>> messages = List.of(Map.of("role", "system", "content", "  Be kind. \n"),
                Map.of("role", "user", "content", "Hi there"));
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe kind.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", chat.render(messages, true, Map.of()));
    }

    @Test
    void bindsMessagesGenerationPromptAndSpecialTokens() {
        String template = "{{ bos_token }}{% for m in messages %}[{{ m.role }}:{{ m['content'] }}]{% endfor %}"
                + "{% if add_generation_prompt %}>{% endif %}{{ eos_token }}";
        ChatTemplate chat = new ChatTemplate(template, Map.of("bos_token", "<s>", "eos_token", "</s>"));
        List<Map<String, Object>> messages = List.of(Map.of("role", "user", "content", "a"),
                Map.of("role", "assistant", "content", "b"));
        assertEquals("<s>[user:a][assistant:b]</s>", chat.render(messages, false, Map.of()));
        assertEquals("<s>[user:a][assistant:b]></s>", chat.render(messages, true, Map.of()));
    }

    @Test
    void dropsOneTrailingNewlineOfTheTemplateLikeJinja2() {
        assertEquals("x\n", render("x\n\n"));
        assertEquals("x", render("x\n"));
    }

    /** Expected outputs are Python Jinja2's with {@code trim_blocks} and {@code lstrip_blocks}. */
    @Test
    void stripsWhitespaceLikeJinja2() {
        assertEquals("  a\nb\n", render("{% if true %}\n  a\n{% endif %}\nb\n\n"));
        assertEquals("  a\nb", render("{% if true %}\n  a\n  {% endif %}\nb"));
        assertEquals("a b", render("a {% if true %}b{% endif %}"));
        assertEquals("1 2", render("{{ 1 }} {% set z = 1 %}{{ 2 }}"));
        assertEquals("a\nb", render("a\n  {# c #}\nb"));
        assertEquals("ab", render("a {#- c -#} b"));
        assertEquals("x", render("  {% if true %}x{% endif %}"));
        assertEquals("x1y", render("x {{- 1 -}}\n y"));
        assertEquals("x\n  ", render("{% if true -%}\n  x\n  {%+ endif %}\n"));
        assertEquals("ax", render("a\n    {{- 'x' }}"));
        assertEquals("xx", render("{%- for m in [1, 2] %}\n    {%- if true %}\n        {{- 'x' }}\n    {%- endif %}\n{%- endfor %}"));
    }

    @Test
    void slicesWithAStepLikePython() {
        assertEquals("[3, 2, 1]", render("{{ [1, 2, 3][::-1] }}"));
        assertEquals("cba", render("{{ 'abc'[::-1] }}"));
        assertEquals("[1, 3]", render("{{ [1, 2, 3, 4][0:4:2] }}"));
        assertEquals("[4, 2]", render("{{ [1, 2, 3, 4][-1::-2] }}"));
        assertEquals("Hi", render("{% for m in messages[::-1] %}{{ m.content }}{% endfor %}"));
        assertEquals("[2, 3]", render("{{ [1, 2, 3][1:] }}"), "two-part slices are Jinjava's own");
    }

    @Test
    void parenthesizesExpressionKeywordArguments() {
        assertEquals("0 1", render("{% set ns = namespace(last=messages|length - 1, flag=true) %}"
                + "{{ ns.last }} {% set ns.last = ns.last + 1 %}{{ ns.last }}"));
    }

    @Test
    void translatorLeavesTextStringsAndRawBlocksAloneAndDropsComments() {
        String template = "text {x[::-1]} {{ 'k=a - 1' }}{% raw %}{{ a[::-1] }}{% endraw %}";
        assertEquals(template, JinjaSyntaxTranslator.translate(template));
        assertEquals("a b", JinjaSyntaxTranslator.translate("a {# x[::-1] #}b"));
        assertEquals("{{ __py_slice(a.b(c)[0], none, none, -1) }}", JinjaSyntaxTranslator.translate("{{ a.b(c)[0][::-1] }}"));
        assertEquals("{{ x in __py_slice((y), 1, none, 2) }}", JinjaSyntaxTranslator.translate("{{ x in (y)[1::2] }}"));
        assertEquals("{{ f(k=(a - 1), j=2) }}", JinjaSyntaxTranslator.translate("{{ f(k=a - 1, j=2) }}"));
        assertEquals("{% macro m(k=a - 1) %}", JinjaSyntaxTranslator.translate("{% macro m(k=a - 1) %}"));
        assertEquals("{{ a == b }}", JinjaSyntaxTranslator.translate("{{ a == b }}"));
    }

    @Test
    void callsPythonStringMethods() {
        assertEquals("True False", render("{{ 'abc'.startswith('ab') ~ ' ' ~ 'abc'.endswith(('x', 'y')) }}")
                .replace("true", "True").replace("false", "False"));
        assertEquals("[b]", render("[{{ '\\n\\nb\\n'.strip('\\n') }}]"));
        assertEquals("x\n|\nx", render("{{ '\\nx\\n'.lstrip('\\n') }}|{{ '\\nx\\n'.rstrip() }}"));
        assertEquals("['a', '', 'b']", render("{{ \"['\" ~ 'a,,b'.split(',')|join(\"', '\") ~ \"']\" }}"));
        assertEquals("3|1", render("{{ 'a b  c '.split()|length }}|{{ 'a,,b,'.split(',', 1)|length - 1 }}"));
        assertEquals("A-B|Hello World|Abc|a_c|1|2", render("{{ 'a-b'.upper() }}|{{ 'hello world'.title() }}|"
                + "{{ 'aBC'.capitalize() }}|{{ 'abc'.replace('b', '_') }}|{{ 'abc'.find('b') }}|{{ 'aXbX'.count('X') }}"));
        assertEquals("a, b", render("{{ ', '.join(['a', 'b']) }}"));
        assertEquals("after", render("{% set c = 'x</think>\\n\\nafter' %}{{ c.split('</think>')[-1].lstrip('\\n') }}"));
    }

    @Test
    void pythonSplitSemantics() {
        assertEquals(List.of("a", "", "b", ""), PythonMethods.split("a,,b,", ",", -1));
        assertEquals(List.of("a", "b,c"), PythonMethods.split("a,b,c", ",", 1));
        assertEquals(List.of("a", "b c "), PythonMethods.split("  a b c ", null, 1));
        assertEquals(List.of(), PythonMethods.split("   ", null, -1));
        assertEquals(List.of("a,b", "c"), PythonMethods.rsplit("a,b,c", ",", 1));
        assertEquals("x", PythonMethods.strip("\u00a0x\u3000", null, true, true));
    }

    @Test
    void callsPythonDictMethods() {
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("b", 1);
        tool.put("a", 2);
        assertEquals("b=1;a=2;|b a|1 2|2|9", render("{% for k, v in tool.items() %}{{ k }}={{ v }};{% endfor %}|"
                + "{{ tool.keys()|join(' ') }}|{{ tool.values()|join(' ') }}|{{ tool.get('a') }}|{{ tool.get('z', 9) }}",
                Map.of("tool", tool)));
    }

    @Test
    void supportsJinja2Tests() {
        assertEquals("yes", render("{% if 'x' is string and 3 is number and none is none and x is not defined %}yes{% endif %}"));
        assertEquals("off", render("{% if flag is defined and flag is false %}off{% endif %}", Map.of("flag", false)));
    }

    @Test
    void rendersToJsonLikePythonJsonDumps() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("name", "Zürich « x »");
        value.put("args", List.of(1, 2.5, true));
        value.put("empty", Map.of());
        value.put("ctrl", "a\nb\u0001\"");
        assertEquals("{\"name\": \"Zürich « x »\", \"args\": [1, 2.5, true], \"empty\": {}, \"ctrl\": \"a\\nb\\u0001\\\"\"}",
                render("{{ v|tojson }}", Map.of("v", value)));
        assertEquals("{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": []\n}",
                ChatTemplate.toJson(new LinkedHashMap<>(Map.of("a", List.of(1, 2))) {{ put("b", List.of()); }}, 2));
        assertEquals("{\n    \"a\": 1\n}", render("{{ v|tojson(indent=4) }}", Map.of("v", Map.of("a", 1))));
    }

    @Test
    void raiseExceptionFailsWithTheTemplatesMessage() {
        TokenizerException e = assertThrows(TokenizerException.class,
                () -> render("{% if messages[0].role != 'system' %}{{ raise_exception('System message required') }}{% endif %}"));
        assertEquals("chat template: System message required", e.getMessage());
    }

    @Test
    void templateErrorsNameTheLine() {
        TokenizerException e = assertThrows(TokenizerException.class, () -> render("ok\n{{ no_such_function(1) }}"));
        assertTrue(e.getMessage().startsWith("chat template line 2: "), e.getMessage());
    }

    @Test
    void messageContentIsNotInterpretedAgain() {
        ChatTemplate chat = new ChatTemplate("{{ messages[0].content }}", Map.of());
        assertEquals("{{ 7*7 }}", chat.render(List.of(Map.of("role", "user", "content", "{{ 7*7 }}")), false, Map.of()));
    }

    @Test
    void formatsStrftimeDirectives() {
        LocalDateTime time = LocalDateTime.of(2024, 7, 5, 14, 3, 9);
        assertEquals("05 Jul 2024 | July Friday 14:03:09 02PM 187 %",
                TemplateFunctions.formatPythonTime(time, "%d %b %Y | %B %A %H:%M:%S %I%p %j %%"));
        assertTrue(render("{{ strftime_now('%Y') }}").matches("\\d{4}"));
    }
}
