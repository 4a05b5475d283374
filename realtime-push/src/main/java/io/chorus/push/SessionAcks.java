package io.chorus.push;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import org.springframework.web.socket.messaging.SessionDisconnectEvent;

/**
 * The acks of a session's SENDs on {@code /user/queue/acks}, to that session only: encoded here and queued in the
 * session's outbox, as group events are. Spring's path for a message to one session of a user (its messaging
 * template, JSON converter, user destination resolver, the broker's subscription look-up and its STOMP encoder) was
 * a tenth of the work of the thread that takes a SEND (bench/push-benchmark.sh, async-profiler), for a frame whose
 * recipient is known. The SUBSCRIBE still reaches the broker too, which serves the other user queues.
 */
@Component
class SessionAcks {

    private final SessionOutboxes outboxes;
    private final ObjectMapper json;
    /** Each session's subscriptions to its acks: their {@link EventFrame#subscriptionHeaders}, by subscription id. */
    private final Map<String, Map<String, byte[]>> bySession = new ConcurrentHashMap<>();

    SessionAcks(SessionOutboxes outboxes, ObjectMapper json) {
        this.outboxes = outboxes;
        this.json = json;
    }

    void subscribed(String sessionId, String subscriptionId) {
        bySession
                .computeIfAbsent(sessionId, s -> new ConcurrentHashMap<>())
                .put(subscriptionId, EventFrame.subscriptionHeaders(sessionId, subscriptionId));
        if (!outboxes.isOpen(sessionId)) {
            // it closed meanwhile, and its disconnect may have been handled already
            bySession.remove(sessionId);
        }
    }

    void unsubscribed(String sessionId, String subscriptionId) {
        Map<String, byte[]> subscriptions = bySession.get(sessionId);
        if (subscriptions != null) {
            subscriptions.remove(subscriptionId);
        }
    }

    @EventListener
    void disconnected(SessionDisconnectEvent event) {
        bySession.remove(event.getSessionId());
    }

    /** To each of the session's ack subscriptions; with none, the ack is dropped, as the broker would. */
    void send(String sessionId, Map<String, Object> ack) {
        Map<String, byte[]> subscriptions = bySession.get(sessionId);
        if (subscriptions == null || subscriptions.isEmpty()) {
            return;
        }
        EventFrame frame = EventFrame.userQueueMessage(GroupDestinations.ACKS, toJson(ack));
        subscriptions.values().forEach(headers -> outboxes.send(sessionId, headers, frame));
    }

    private byte[] toJson(Map<String, Object> ack) {
        try {
            return json.writeValueAsBytes(ack);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write an ack as JSON", e);
        }
    }
}
