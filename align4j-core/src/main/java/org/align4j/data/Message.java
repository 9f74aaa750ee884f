package org.align4j.data;

/**
 * One chat message of a conversational example (TRL's conversational format).
 *
 * @param role    "system", "user", "assistant" or another role the chat template knows
 * @param content the message text
 */
public record Message(String role, String content) {
}
