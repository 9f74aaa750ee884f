package org.align4j.tokenizer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.align4j.StrictJson;

/**
 * A Hugging Face tokenizer loaded from a model directory: {@code tokenizer.json} (the {@code tokenizers} pipeline)
 * and {@code tokenizer_config.json} (the {@code transformers} settings: special tokens, chat template), plus an
 * optional {@code chat_template.jinja}.
 *
 * <p>Encoding runs the {@code tokenizers} pipeline: {@code added_tokens} are cut out of the text first
 * ({@link AddedVocabulary}), each remaining stretch goes through the {@code normalizer}, the {@code pre_tokenizer}
 * and the {@code BPE} model, and the {@code post_processor} adds special tokens. Decoding maps ids to tokens and runs
 * the {@code decoder}, then {@code transformers}' {@code clean_up_tokenization_spaces} if the config asks for it.
 * This covers the GPT-2, Llama-3 and Qwen2/Qwen3 tokenizers; an unsupported component type fails {@link #load} with
 * a {@link TokenizerException} naming the file and the type.
 *
 * <p>Instances are immutable apart from an internal cache, and safe to share between threads.
 */
public final class Tokenizer {
    /** The pipeline file. */
    public static final String TOKENIZER_FILE = "tokenizer.json";
    /** The {@code transformers} settings file. */
    public static final String CONFIG_FILE = "tokenizer_config.json";
    /** The chat template file that newer {@code transformers} versions write. */
    public static final String CHAT_TEMPLATE_FILE = "chat_template.jinja";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final AddedVocabulary addedVocabulary;
    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final BpeModel model;
    private final PostProcessor postProcessor;
    private final Decoder decoder;
    private final SpecialTokens specialTokens;
    private final Set<Integer> specialIdSet;
    private final int[] specialIds;
    private final boolean cleanUpTokenizationSpaces;
    private final ChatTemplate chatTemplate;
    private final String chatTemplateSource;
    private final int vocabSize;

    /** The {@code transformers} special tokens of {@code tokenizer_config.json} (absent ones are null). */
    private record SpecialTokens(String bos, String eos, String pad, String unk, List<String> extra) {
    }

    private Tokenizer(AddedVocabulary addedVocabulary, Normalizer normalizer, PreTokenizer preTokenizer,
            BpeModel model, PostProcessor postProcessor, Decoder decoder, SpecialTokens specialTokens,
            boolean cleanUpTokenizationSpaces, String chatTemplateSource) {
        this.addedVocabulary = addedVocabulary;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.postProcessor = postProcessor;
        this.decoder = decoder;
        this.specialTokens = specialTokens;
        this.cleanUpTokenizationSpaces = cleanUpTokenizationSpaces;
        Set<Integer> special = new TreeSet<>();
        for (AddedVocabulary.AddedToken token : addedVocabulary.tokens()) {
            if (token.special()) {
                special.add(token.id());
            }
        }
        List<String> named = new ArrayList<>(specialTokens.extra());
        named.addAll(Arrays.asList(specialTokens.bos(), specialTokens.eos(), specialTokens.pad(), specialTokens.unk()));
        for (String token : named) {
            if (token != null) {
                tokenId(token).ifPresent(special::add);
            }
        }
        this.specialIdSet = Set.copyOf(special);
        this.specialIds = special.stream().mapToInt(Integer::intValue).toArray();
        this.vocabSize = Math.max(model.size(),
                addedVocabulary.tokens().stream().mapToInt(token -> token.id() + 1).max().orElse(0));
        this.chatTemplateSource = chatTemplateSource;
        this.chatTemplate = chatTemplateSource == null ? null
                : new ChatTemplate(chatTemplateSource, specialTokenVariables(specialTokens));
    }

    /**
     * This tokenizer with {@code token} as its eos token (what TRL's {@code eos_token} option sets): appended to texts
     * and completions, and the chat template's {@code eos_token}.
     *
     * @throws TokenizerException when {@code token} is not in the vocabulary
     */
    public Tokenizer withEosToken(String token) {
        if (tokenId(token).isEmpty()) {
            throw new TokenizerException("eos_token '" + token + "' is not in the tokenizer's vocabulary");
        }
        SpecialTokens tokens = new SpecialTokens(specialTokens.bos(), token, specialTokens.pad(), specialTokens.unk(),
                specialTokens.extra());
        return new Tokenizer(addedVocabulary, normalizer, preTokenizer, model, postProcessor, decoder, tokens,
                cleanUpTokenizationSpaces, chatTemplateSource);
    }

    /** This tokenizer with the chat template {@code source} (Jinja), as TRL's {@code chat_template_path} sets it. */
    public Tokenizer withChatTemplate(String source) {
        return new Tokenizer(addedVocabulary, normalizer, preTokenizer, model, postProcessor, decoder, specialTokens,
                cleanUpTokenizationSpaces, source);
    }

    /**
     * Writes this tokenizer's files into {@code to}: those of {@code from} (the folder it was loaded from), with
     * {@value #CONFIG_FILE}'s {@code eos_token} and {@value #CHAT_TEMPLATE_FILE} made this tokenizer's, so that a
     * tokenizer changed by {@link #withEosToken} or {@link #withChatTemplate} loads back as it is.
     */
    public void writeFiles(Path from, Path to) throws IOException {
        copyFiles(from, to);
        Path config = to.resolve(CONFIG_FILE);
        ObjectNode json = Files.exists(config) ? (ObjectNode) readJson(config, false) : JSON.createObjectNode();
        if (specialTokens.eos() != null) {
            json.put("eos_token", specialTokens.eos());
        }
        if (chatTemplateSource != null) {
            json.remove("chat_template");
            Files.writeString(to.resolve(CHAT_TEMPLATE_FILE), chatTemplateSource);
        }
        JSON.writerWithDefaultPrettyPrinter().writeValue(config.toFile(), json);
    }

    /** Copies the tokenizer files present in {@code from} (tokenizer.json, its config, chat template) into {@code to}. */
    public static void copyFiles(Path from, Path to) throws IOException {
        for (String name : new String[] {TOKENIZER_FILE, CONFIG_FILE, CHAT_TEMPLATE_FILE}) {
            Path file = from.resolve(name);
            if (Files.exists(file)) {
                Files.copy(file, to.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /**
     * Loads the tokenizer in {@code directory}. {@value #TOKENIZER_FILE} is required; {@value #CONFIG_FILE} and
     * {@value #CHAT_TEMPLATE_FILE} are optional (the latter takes precedence over the config's
     * {@code chat_template}).
     *
     * @throws TokenizerException if a file is missing, malformed or uses an unsupported component
     * @throws UncheckedIOException if a file cannot be read
     */
    public static Tokenizer load(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new TokenizerException(directory + ": no such tokenizer directory");
        }
        Path tokenizerPath = directory.resolve(TOKENIZER_FILE);
        JsonNode root = readJson(tokenizerPath, true);
        TokenizerFile file = new TokenizerFile(tokenizerPath.toString());
        Normalizer normalizer = optional(root, "normalizer") == null ? null : Normalizer.parse(root.get("normalizer"), file);
        PreTokenizer preTokenizer = optional(root, "pre_tokenizer") == null ? null
                : PreTokenizer.parse(root.get("pre_tokenizer"), file);
        JsonNode modelNode = optional(root, "model");
        if (modelNode == null) {
            throw file.error("missing \"model\"");
        }
        BpeModel model = BpeModel.parse(modelNode, file);
        PostProcessor postProcessor = optional(root, "post_processor") == null ? null
                : PostProcessor.parse(root.get("post_processor"), file);
        Decoder decoder = optional(root, "decoder") == null ? null : Decoder.parse(root.get("decoder"), file);
        if (preTokenizer != null && preTokenizer.writesByteLevelText()) {
            checkByteLevelAlphabet(model, file);
        }
        AddedVocabulary addedVocabulary = new AddedVocabulary(addedTokens(root, model, file), normalizer);

        Path configPath = directory.resolve(CONFIG_FILE);
        JsonNode config = Files.exists(configPath) ? readJson(configPath, false) : JSON.createObjectNode();
        TokenizerFile configFile = new TokenizerFile(configPath.toString());
        List<String> extra = new ArrayList<>();
        for (String field : List.of("additional_special_tokens", "extra_special_tokens")) {
            JsonNode list = config.get(field);
            if (list != null && list.isArray()) {
                list.forEach(token -> extra.add(tokenContent(token, field, configFile)));
            }
        }
        SpecialTokens specialTokens = new SpecialTokens(configToken(config, "bos_token", configFile),
                configToken(config, "eos_token", configFile), configToken(config, "pad_token", configFile),
                configToken(config, "unk_token", configFile), List.copyOf(extra));
        return new Tokenizer(addedVocabulary, normalizer, preTokenizer, model, postProcessor, decoder, specialTokens,
                configFile.bool(config, "clean_up_tokenization_spaces", false),
                chatTemplateSource(directory.resolve(CHAT_TEMPLATE_FILE), config, configFile));
    }

    private static JsonNode readJson(Path path, boolean required) {
        try {
            JsonNode node = StrictJson.read(path);
            if (node == null || !node.isObject()) {
                throw new TokenizerException(path + ": expected a JSON object");
            }
            return node;
        } catch (JacksonException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new TokenizerException(path + ": malformed JSON" + where + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            if (!Files.exists(path)) {
                throw new TokenizerException(path + ": file not found" + (required ? "" : " (optional)"), e);
            }
            throw new UncheckedIOException(path + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode optional(JsonNode root, String field) {
        JsonNode node = root.get(field);
        return node == null || node.isNull() ? null : node;
    }

    /**
     * The vocabulary of a ByteLevel pre-tokenizer holds its 256 characters, or has an {@code unk_token}: else text
     * with a missing byte would lose it silently.
     */
    private static void checkByteLevelAlphabet(BpeModel model, TokenizerFile file) {
        for (int b = 0; b < 256 && !model.hasUnk(); b++) {
            String symbol = String.valueOf(ByteLevelAlphabet.charOf(b));
            if (model.id(symbol) == null) {
                throw file.error(String.format("the ByteLevel pre_tokenizer needs every byte in the vocab, but byte"
                        + " 0x%02X ('%s') is missing and there is no unk_token to stand in for it", b, symbol));
            }
        }
    }

    /**
     * The {@code added_tokens}: each id non-negative and the vocab's own id for a token that is in the vocab; the
     * others continue the vocab's ids without a gap or a repeat, as the files of {@code tokenizers} do.
     */
    private static List<AddedVocabulary.AddedToken> addedTokens(JsonNode root, BpeModel model, TokenizerFile file) {
        List<AddedVocabulary.AddedToken> tokens = new ArrayList<>();
        JsonNode list = optional(root, "added_tokens");
        if (list == null) {
            return tokens;
        }
        Map<Integer, String> beyondVocab = new TreeMap<>();
        for (JsonNode token : list) {
            JsonNode idNode = token.get("id");
            if (idNode == null || !idNode.isIntegralNumber() || !idNode.canConvertToInt() || idNode.intValue() < 0) {
                throw file.error("added token without a non-negative integer \"id\": " + token);
            }
            int id = idNode.intValue();
            String content = file.requiredText(token, "content", "added token " + id);
            Integer vocabId = model.id(content);
            if (vocabId != null && vocabId != id) {
                throw file.error("added token '" + content + "' has id " + id + " but the vocab gives it " + vocabId);
            }
            if (vocabId == null && id < model.size()) {
                throw file.error("added token '" + content + "' has id " + id + ", which is the vocab's '"
                        + model.token(id) + "'");
            }
            if (vocabId == null && beyondVocab.putIfAbsent(id, content) != null) {
                throw file.error("added tokens '" + beyondVocab.get(id) + "' and '" + content + "' have the same id "
                        + id);
            }
            boolean special = file.bool(token, "special", false);
            tokens.add(new AddedVocabulary.AddedToken(id, content, file.bool(token, "single_word", false),
                    file.bool(token, "lstrip", false), file.bool(token, "rstrip", false),
                    file.bool(token, "normalized", !special), special));
        }
        int next = model.size();
        for (Map.Entry<Integer, String> entry : beyondVocab.entrySet()) {
            if (entry.getKey() != next) {
                throw file.error("added token '" + entry.getValue() + "' has id " + entry.getKey()
                        + ", leaving no token with id " + next);
            }
            next++;
        }
        return tokens;
    }

    /** A special token of the config: a string, an AddedToken object {@code {"content": ...}}, or null. */
    private static String configToken(JsonNode config, String field, TokenizerFile file) {
        JsonNode value = config.get(field);
        return value == null || value.isNull() ? null : tokenContent(value, field, file);
    }

    private static String tokenContent(JsonNode value, String field, TokenizerFile file) {
        if (value.isTextual()) {
            return value.asText();
        }
        if (value.isObject() && value.has("content")) {
            return value.get("content").asText();
        }
        throw file.error("\"" + field + "\" must be a string or an object with \"content\", got " + value);
    }

    private static String chatTemplateSource(Path jinjaFile, JsonNode config, TokenizerFile configFile) {
        if (Files.exists(jinjaFile)) {
            try {
                return Files.readString(jinjaFile);
            } catch (IOException e) {
                throw new UncheckedIOException(jinjaFile + ": " + e.getMessage(), e);
            }
        }
        JsonNode template = config.get("chat_template");
        if (template == null || template.isNull()) {
            return null;
        }
        if (template.isTextual()) {
            return template.asText();
        }
        if (template.isArray()) {
            for (JsonNode named : template) {
                if ("default".equals(configFile.optionalText(named, "name"))) {
                    return configFile.requiredText(named, "template", "chat_template 'default'");
                }
            }
            throw configFile.error("chat_template list has no template named 'default'");
        }
        throw configFile.error("chat_template must be a string or a list of {name, template}");
    }

    private static Map<String, Object> specialTokenVariables(SpecialTokens tokens) {
        Map<String, Object> variables = new LinkedHashMap<>();
        if (tokens.bos() != null) {
            variables.put("bos_token", tokens.bos());
        }
        if (tokens.eos() != null) {
            variables.put("eos_token", tokens.eos());
        }
        if (tokens.pad() != null) {
            variables.put("pad_token", tokens.pad());
        }
        if (tokens.unk() != null) {
            variables.put("unk_token", tokens.unk());
        }
        if (!tokens.extra().isEmpty()) {
            variables.put("additional_special_tokens", tokens.extra());
        }
        return variables;
    }

    /**
     * The ids of {@code text}; with {@code addSpecialTokens} the post-processor's special tokens (e.g. Llama-3's
     * {@code <|begin_of_text|>}) are added. Added tokens written in the text, such as {@code <|im_start|>}, are always
     * recognised, as in Hugging Face.
     */
    public int[] encode(String text, boolean addSpecialTokens) {
        return postProcess(List.of(encodeSequence(text)), addSpecialTokens);
    }

    /** The ids of a pair of texts joined by the post-processor's {@code pair} template. */
    public int[] encodePair(String first, String second, boolean addSpecialTokens) {
        return postProcess(List.of(encodeSequence(first), encodeSequence(second)), addSpecialTokens);
    }

    private int[] postProcess(List<int[]> sequences, boolean addSpecialTokens) {
        List<int[]> processed = postProcessor == null ? sequences : postProcessor.process(sequences, addSpecialTokens);
        IntList out = new IntList(64);
        processed.forEach(out::addAll);
        return out.toArray();
    }

    private int[] encodeSequence(String text) {
        IntList ids = new IntList(text.length() / 3 + 8);
        for (AddedVocabulary.Segment raw : addedVocabulary.splitRaw(text)) {
            if (raw.isAddedToken()) {
                ids.add(raw.tokenId());
                continue;
            }
            String normalized = normalizer == null ? raw.text() : normalizer.normalize(raw.text());
            for (AddedVocabulary.Segment segment : addedVocabulary.splitNormalized(normalized)) {
                if (segment.isAddedToken()) {
                    ids.add(segment.tokenId());
                } else if (preTokenizer == null) {
                    model.tokenize(segment.text(), ids);
                } else {
                    boolean atTextStart = raw.start() == 0 && segment.start() == 0;
                    preTokenizer.split(segment.text(), atTextStart, (piece, start) -> model.tokenize(piece, ids));
                }
            }
        }
        return ids.toArray();
    }

    /**
     * The text of {@code ids}: their tokens through the decoder ({@code tokenizers}' {@code decode}). With
     * {@code skipSpecialTokens}, the ids of {@link #specialIds()} are left out.
     *
     * @throws IllegalArgumentException for an id that no token has
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            if (skipSpecialTokens && specialIdSet.contains(id)) {
                continue;
            }
            tokens.add(token(id));
        }
        String text = decoder == null ? String.join(" ", tokens) : String.join("", decoder.decodeChain(tokens));
        return cleanUpTokenizationSpaces ? cleanUpTokenizationSpaces(text) : text;
    }

    /** {@code transformers}' {@code clean_up_tokenization}: removes spaces before punctuation and contractions. */
    static String cleanUpTokenizationSpaces(String text) {
        return text.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    /** The number of distinct ids of the vocabulary and the added tokens ({@code len(tokenizer)} in Python). */
    public int vocabSize() {
        return vocabSize;
    }

    /** The id of a token string, added tokens first, then the model's vocabulary. */
    public OptionalInt tokenId(String token) {
        AddedVocabulary.AddedToken added = addedVocabulary.byContent(token);
        if (added != null) {
            return OptionalInt.of(added.id());
        }
        Integer id = model.id(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /**
     * The token string of an id (in the model's alphabet, e.g. {@code Ġthe} for byte-level BPE).
     *
     * @throws IllegalArgumentException for an id that no token has
     */
    public String token(int id) {
        AddedVocabulary.AddedToken added = addedVocabulary.byId(id);
        if (added != null) {
            return added.content();
        }
        String token = model.token(id);
        if (token == null) {
            throw new IllegalArgumentException("token id " + id + " is not in the vocabulary (size " + vocabSize + ")");
        }
        return token;
    }

    /** The {@code bos_token} of {@code tokenizer_config.json}. */
    public Optional<String> bosToken() {
        return Optional.ofNullable(specialTokens.bos());
    }

    /** The {@code eos_token} of {@code tokenizer_config.json}. */
    public Optional<String> eosToken() {
        return Optional.ofNullable(specialTokens.eos());
    }

    /** The {@code pad_token} of {@code tokenizer_config.json}. */
    public Optional<String> padToken() {
        return Optional.ofNullable(specialTokens.pad());
    }

    /** The id of {@link #bosToken()}, if it is set and in the vocabulary. */
    public OptionalInt bosTokenId() {
        return idOf(specialTokens.bos());
    }

    /** The id of {@link #eosToken()}, if it is set and in the vocabulary. */
    public OptionalInt eosTokenId() {
        return idOf(specialTokens.eos());
    }

    /** The id of {@link #padToken()}, if it is set and in the vocabulary. */
    public OptionalInt padTokenId() {
        return idOf(specialTokens.pad());
    }

    /**
     * The padding id as TRL's trainers choose it: {@code padToken} (their {@code pad_token} option) when given, else
     * the tokenizer's pad token, else its eos token. Padded positions are masked, so the id only has to exist.
     *
     * @throws TokenizerException when {@code padToken} is not in the vocabulary, or the tokenizer has neither a pad
     *                            nor an eos token
     */
    public int paddingId(String padToken) {
        if (padToken != null) {
            return tokenId(padToken).orElseThrow(() -> new TokenizerException(
                    "pad_token '" + padToken + "' is not in the tokenizer's vocabulary"));
        }
        return padTokenId().orElseGet(() -> eosTokenId().orElseThrow(() -> new TokenizerException(
                "the tokenizer has neither a pad token nor an eos token; set pad_token")));
    }

    private OptionalInt idOf(String token) {
        return token == null ? OptionalInt.empty() : tokenId(token);
    }

    /**
     * The ids of special tokens, ascending: added tokens flagged {@code special}, and the bos, eos, pad, unk and
     * additional/extra special tokens named in {@code tokenizer_config.json}.
     */
    public int[] specialIds() {
        return specialIds.clone();
    }

    /** The chat template of {@value #CHAT_TEMPLATE_FILE} or the config's {@code chat_template}, if any. */
    public Optional<ChatTemplate> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }
}
