package org.align4j.data;

import java.util.List;

/**
 * A field of an example that TRL accepts either as a plain string (standard format) or as a list of chat messages
 * (conversational format).
 */
public sealed interface Text {

    /** A plain string. */
    record Plain(String text) implements Text {
    }

    /** A list of chat messages. */
    record Conversation(List<Message> messages) implements Text {
        /** Copies the list. */
        public Conversation {
            messages = List.copyOf(messages);
        }
    }

    /** Whether this is a message list. */
    default boolean isConversational() {
        return this instanceof Conversation;
    }
}
