package org.align4j.cli;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.align4j.InputException;
import org.align4j.tokenizer.ChatTemplate;
import org.align4j.tokenizer.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code align4j tokenize}: encodes text with a Hugging Face tokenizer directory and prints the ids as a JSON array,
 * or renders a chat with the tokenizer's chat template and prints {@code {"text": ..., "ids": [...]}}.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Encode text with a Hugging Face tokenizer, or render and encode a chat.",
                "Prints the ids as a JSON array; with --chat, a JSON object {\"text\": ..., \"ids\": [...]}."})
public final class TokenizeCommand implements Callable<Integer> {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Spec
    private CommandSpec spec;

    @Option(names = "--tokenizer", required = true, paramLabel = "DIR",
            description = "Directory with tokenizer.json and tokenizer_config.json.")
    private Path tokenizerDirectory;

    @ArgGroup(exclusive = true, multiplicity = "1")
    private Input input;

    /** Exactly one source of input. */
    static final class Input {
        @Option(names = "--text", paramLabel = "TEXT", description = "Text to encode.")
        String text;

        @Option(names = "--file", paramLabel = "FILE", description = "UTF-8 text file to encode.")
        Path file;

        @Option(names = "--chat", paramLabel = "FILE.json",
                description = "Chat to render: a JSON array of messages, or an object with \"messages\" and further "
                        + "template variables (tools, enable_thinking, ...).")
        Path chat;
    }

    @Option(names = "--add-special-tokens",
            description = "Add the post-processor's special tokens (e.g. a BOS token) when encoding --text/--file.")
    private boolean addSpecialTokens;

    @Option(names = "--add-generation-prompt", description = "With --chat: end with the assistant turn's header.")
    private boolean addGenerationPrompt;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (input.chat != null) {
            JsonNode chat = readJson(input.chat);
            Map<String, Object> variables = new LinkedHashMap<>();
            JsonNode messages = chat;
            if (chat.isObject()) {
                variables = JSON.convertValue(chat, JSON.getTypeFactory().constructMapType(LinkedHashMap.class,
                        String.class, Object.class));
                variables.remove("messages");
                messages = chat.get("messages");
            }
            if (messages == null || !messages.isArray()) {
                throw new InputException(input.chat + ": expected a JSON array of messages or an object "
                        + "with a \"messages\" array");
            }
            List<Map<String, Object>> messageList = JSON.convertValue(messages,
                    JSON.getTypeFactory().constructCollectionType(List.class, Map.class));
            Tokenizer tokenizer = Tokenizer.load(tokenizerDirectory);
            ChatTemplate template = tokenizer.chatTemplate().orElseThrow(() ->
                    new InputException(tokenizerDirectory + ": the tokenizer has no chat template"));
            String text = template.render(messageList, addGenerationPrompt, variables);
            ObjectNode result = JSON.createObjectNode();
            result.put("text", text);
            result.set("ids", JSON.valueToTree(tokenizer.encode(text, false)));
            out.println(JSON.writeValueAsString(result));
        } else {
            String text = input.text != null ? input.text : readText(input.file);
            out.println(JSON.writeValueAsString(Tokenizer.load(tokenizerDirectory).encode(text, addSpecialTokens)));
        }
        out.flush();
        return 0;
    }

    private static String readText(Path file) {
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new InputException(file + ": file not found", e);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode readJson(Path file) {
        String text = readText(file);
        try {
            return JSON.readTree(text);
        } catch (JacksonException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new InputException(file + ": malformed JSON" + where + ": " + e.getOriginalMessage(), e);
        }
    }
}
