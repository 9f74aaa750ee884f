package org.align4j.tokenizer;

import org.align4j.InputException;

/**
 * A tokenizer directory could not be loaded (missing or malformed {@code tokenizer.json} /
 * {@code tokenizer_config.json}, an unsupported Hugging Face {@code tokenizers} component type, an invalid regex), or
 * a chat template failed to render ({@code raise_exception} in the template, a syntax error). The message is one line
 * that names the file and the component at fault, e.g. {@code /m/tokenizer.json: unsupported normalizer type
 * 'Precompiled'}.
 *
 * <p>Every cause is bad input, which the command line reports with exit code 2.
 */
public class TokenizerException extends InputException {
    private static final long serialVersionUID = 1L;

    public TokenizerException(String message) {
        super(message);
    }

    public TokenizerException(String message, Throwable cause) {
        super(message, cause);
    }
}
