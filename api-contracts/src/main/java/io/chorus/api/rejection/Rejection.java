package io.chorus.api.rejection;

/**
 * Implemented by the exceptions a command handler throws when it refuses a command. Every entry point (HTTP, STOMP)
 * answers with {@code status} (an HTTP status code) and the exception's message; the refused command stored
 * nothing.
 */
public interface Rejection {

    int status();

    /** The input field the refusal is about, or null. */
    default String field() {
        return null;
    }
}
