package io.chorus.query.history;

import java.util.List;

/**
 * A page whose messages are already API.md's {@code Message} JSON, as a cache stores them: the answer is written
 * from them without reading them into objects and back.
 */
public record JsonPage(List<String> messages, boolean hasMore, long lastSeq) {

    /** The body of a messages answer: {@code {"messages":[…],"hasMore":…}}. */
    public String body() {
        return "{\"messages\":[" + String.join(",", messages) + "],\"hasMore\":" + hasMore + "}";
    }
}
