package io.chorus.push;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A group event's STOMP MESSAGE frame, encoded once for all of a node's subscribers of the group: only the {@code
 * subscription} and {@code message-id} headers differ between them. An ack's frame is encoded the same way ({@link
 * #userQueueMessage}). Spring's path (a message with its own headers per subscriber, wrapped in a STOMP header
 * accessor and encoded by the {@code StompEncoder}) copied the headers twice and encoded the frame again for every
 * subscriber: a quarter of all the push node's allocation under load (bench/push-benchmark.sh, JFR), and so much of
 * its garbage collection. The text is the same as Spring's: STOMP 1.2 header escaping, {@code content-length} in
 * bytes, a NUL after the body.
 *
 * <p>It is built as UTF-8 bytes, not as a string: Spring's {@code TextMessage} of a string encodes the whole frame to
 * learn its length, and the session decorator asks for that length twice per frame (queued, then sent), so that a
 * string frame was encoded twice per subscriber only to be measured: a tenth of the node's allocation under load
 * (bench/push-benchmark.sh, JFR). A {@code TextMessage} of bytes knows its length.
 */
final class EventFrame {

    /** Spring's form of a message id, the session id and a counter, so unique per node. */
    private static final AtomicLong MESSAGE_IDS = new AtomicLong();

    private final byte[] head;
    private final byte[] tail;
    /** When the event's command stamped it (for the send→deliver meter), or 0 in a catch-up. */
    final long eventTimeMillis;
    /** A group event's frame, not a user queue's message. */
    final boolean groupEvent;

    EventFrame(String destination, long seq, String eventType, byte[] body, long eventTimeMillis) {
        this(
                destinationHeaders(destination) + "\nseq:" + seq + "\nevent-type:" + escape(eventType),
                body,
                eventTimeMillis,
                true);
    }

    /**
     * The frame of a message on one of a user's queues (an ack on {@code /user/queue/acks}), with the headers Spring's
     * broker gives it: no seq or event type, and the destination as the client subscribed to it.
     */
    static EventFrame userQueueMessage(String destination, byte[] body) {
        return withoutSeq(destination, body);
    }

    /** A frame without seq or event type (an ack, a typing notice), to the destination as subscribed. */
    static EventFrame withoutSeq(String destination, byte[] body) {
        return new EventFrame(destinationHeaders(destination), body, 0, false);
    }

    private static String destinationHeaders(String destination) {
        return "MESSAGE\ndestination:" + escape(destination) + "\ncontent-type:application/json";
    }

    private EventFrame(String headersBeforeSubscription, byte[] body, long eventTimeMillis, boolean groupEvent) {
        this.head = utf8(headersBeforeSubscription + "\nsubscription:");
        byte[] headers = utf8("\ncontent-length:" + body.length + "\n\n");
        this.tail = new byte[headers.length + body.length + 1];
        System.arraycopy(headers, 0, tail, 0, headers.length);
        System.arraycopy(body, 0, tail, headers.length, body.length);
        // and the NUL that ends the frame, already there
        this.eventTimeMillis = eventTimeMillis;
        this.groupEvent = groupEvent;
    }

    /**
     * What identifies one subscription of one session in its frames, escaped once when it subscribes rather than for
     * every frame: its {@code subscription} header, and its session id as the start of each frame's message id.
     */
    static byte[] subscriptionHeaders(String sessionId, String subscriptionId) {
        return utf8(escape(subscriptionId) + "\nmessage-id:" + escape(sessionId) + '-');
    }

    /** The frame, as UTF-8, for the subscription that {@code subscriptionHeaders} describes. */
    byte[] forSubscription(byte[] subscriptionHeaders) {
        long id = MESSAGE_IDS.getAndIncrement();
        int digits = digits(id);
        byte[] frame = new byte[head.length + subscriptionHeaders.length + digits + tail.length];
        System.arraycopy(head, 0, frame, 0, head.length);
        int at = head.length;
        System.arraycopy(subscriptionHeaders, 0, frame, at, subscriptionHeaders.length);
        at += subscriptionHeaders.length;
        for (int i = at + digits - 1; i >= at; i--) {
            frame[i] = (byte) ('0' + id % 10);
            id /= 10;
        }
        System.arraycopy(tail, 0, frame, at + digits, tail.length);
        return frame;
    }

    /** Decimal digits of a non-negative number. */
    static int digits(long value) {
        int digits = 1;
        while (value >= 10) {
            value /= 10;
            digits++;
        }
        return digits;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
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
