/**
 * Hugging Face tokenizers in pure Java: {@link org.align4j.tokenizer.Tokenizer} runs the {@code tokenizers} pipeline
 * of a {@code tokenizer.json} (added tokens, normalizer, pre-tokenizer, BPE model, post-processor, decoder) exactly
 * for the byte-level BPE tokenizers of GPT-2, Llama-3 and Qwen2/Qwen3, and
 * {@link org.align4j.tokenizer.ChatTemplate} renders their Jinja2 chat templates with Jinjava.
 */
package org.align4j.tokenizer;
