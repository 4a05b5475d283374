package io.chorus.push;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A group event's STOMP MESSAGE frame, encoded once for all of a node's subscribers of the group: only the {@code
 * subscription} and {@code message-id} headers differ between them. Spring's path (a message with its own headers
 * per subscriber, wrapped in a STOMP header accessor and encoded by the {@code StompEncoder}) copied the headers
 * twice and encoded the frame again for every subscriber: a quarter of all the push node's allocation under load
 * (bench/push-benchmark.sh, JFR), and so much of its garbage collection. The text is the same as Spring's:
 * STOMP 1.2 header escaping, {@code content-length} in bytes, a NUL after the body.
 */
final class EventFrame {

    /** Spring's form of a message id, the session id and a counter, so unique per node. */
    private static final AtomicLong MESSAGE_IDS = new AtomicLong();

    private final String head;
    private final String tail;
    /** When the event's command stamped it (for the send→deliver meter), or 0 in a catch-up. */
    final long eventTimeMillis;

    EventFrame(String destination, long seq, String eventType, byte[] body, long eventTimeMillis) {
        this.head = "MESSAGE\ndestination:" + escape(destination) + "\ncontent-type:application/json\nseq:" + seq
                + "\nevent-type:" + escape(eventType) + "\nsubscription:";
        this.tail = "\ncontent-length:" + body.length + "\n\n" + new String(body, StandardCharsets.UTF_8) + '\0';
        this.eventTimeMillis = eventTimeMillis;
    }

    /**
     * What identifies one subscription of one session in its frames, escaped once when it subscribes rather than for
     * every frame: its {@code subscription} header, and its session id as the start of each frame's message id.
     */
    static String subscriptionHeaders(String sessionId, String subscriptionId) {
        return escape(subscriptionId) + "\nmessage-id:" + escape(sessionId) + '-';
    }

    /** The frame's text for the subscription that {@code subscriptionHeaders} describes. */
    String forSubscription(String subscriptionHeaders) {
        return head + subscriptionHeaders + MESSAGE_IDS.getAndIncrement() + tail;
    }

    /** STOMP 1.2 escaping of a header's value (every frame but CONNECT and CONNECTED). */
    static String escape(String value) {
        StringBuilder escaped = null;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            String replacement = switch (c) {
                case '\\' -> "\\\\";
                case ':' -> "\\c";
                case '\n' -> "\\n";
                case '\r' -> "\\r";
                default -> null;
            };
            if (replacement != null && escaped == null) {
                escaped = new StringBuilder(value.length() + 8).append(value, 0, i);
            }
            if (escaped != null) {
                if (replacement != null) {
                    escaped.append(replacement);
                } else {
                    escaped.append(c);
                }
            }
        }
        return escaped == null ? value : escaped.toString();
    }
}
