package io.chorus.push;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chorus.api.GroupEvent;
import io.chorus.api.group.MemberLeftEvent;
import io.chorus.api.group.MemberRemovedEvent;
import io.chorus.api.message.MessageSentEvent;
import io.chorus.api.schema.EventTypes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.axonframework.eventsourcing.eventstore.DomainEventStream;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.event.EventListener;
import org.springframework.messaging.simp.SimpMessageHeaderAccessor;
import org.springframework.messaging.simp.SimpMessageType;
import org.springframework.messaging.simp.SimpMessagingTemplate;
import org.springframework.messaging.simp.broker.AbstractBrokerMessageHandler;
import org.springframework.messaging.simp.broker.SimpleBrokerMessageHandler;
import org.springframework.messaging.simp.stomp.StompCommand;
import org.springframework.messaging.simp.stomp.StompHeaderAccessor;
import org.springframework.messaging.support.MessageBuilder;
import org.springframework.stereotype.Component;
import org.springframework.util.MimeTypeUtils;
import org.springframework.web.socket.messaging.SessionDisconnectEvent;

/**
 * The subscriptions to {@code /topic/groups.{groupId}} on this node, and the delivery of each group's events to
 * them. The broker is bypassed for these topics: every subscription has its own position (the last seq it was sent),
 * so that a resuming subscriber gets the missed events from the event store and then the live ones, each once and
 * in seq order. While it catches up, live events for it are held back and released after the catch-up, minus what
 * the catch-up already sent. A member who leaves or is removed gets that event and then loses the subscription
 * (and the group's typing topic).
 */
@Component
class GroupSubscriptions implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(GroupSubscriptions.class);

    private final EventStore eventStore;
    private final SessionOutboxes outboxes;
    private final SimpleBrokerMessageHandler broker;
    private final SimpMessagingTemplate messaging;
    private final ObjectMapper json;
    private final PushProperties properties;
    private final ExecutorService catchUps = Executors.newFixedThreadPool(2, runnable -> {
        Thread thread = new Thread(runnable, "push-catch-up");
        thread.setDaemon(true);
        return thread;
    });

    private final Map<String, List<Subscription>> byGroup = new ConcurrentHashMap<>();
    private final Map<String, Set<Subscription>> bySession = new ConcurrentHashMap<>();
    /** Typing subscriptions per session: subscription id → group id, to revoke them with the group's topic. */
    private final Map<String, Map<String, String>> typingBySession = new ConcurrentHashMap<>();

    GroupSubscriptions(
            EventStore eventStore,
            SessionOutboxes outboxes,
            @Qualifier("simpleBrokerMessageHandler") AbstractBrokerMessageHandler broker,
            SimpMessagingTemplate messaging,
            ObjectMapper json,
            PushProperties properties) {
        this.eventStore = eventStore;
        this.outboxes = outboxes;
        // declared by Spring as the abstract type; the simple broker is the one configured
        this.broker = (SimpleBrokerMessageHandler) broker;
        this.messaging = messaging;
        this.json = json;
        this.properties = properties;
    }

    /** One SUBSCRIBE of a session to a group's topic. */
    private final class Subscription {
        final String sessionId;
        final String subscriptionId;
        final String userId;
        final String groupId;
        /** Seq of the group's latest event at which the membership was checked; a later removal revokes. */
        final long authorizedAt;
        /** Its part of each event frame ({@link EventFrame#subscriptionHeaders}). */
        final byte[] frameHeaders;
        /** Its session's queue, kept rather than looked up per event. */
        final SessionOutboxes.Outbox outbox;

        long lastSent;
        /** Live events held back while catching up; null once live. */
        List<GroupEvent> held = new ArrayList<>();

        boolean revoked;

        Subscription(String sessionId, String subscriptionId, String userId, String groupId, long authorizedAt) {
            this.sessionId = sessionId;
            this.subscriptionId = subscriptionId;
            this.userId = userId;
            this.groupId = groupId;
            this.authorizedAt = authorizedAt;
            this.frameHeaders = EventFrame.subscriptionHeaders(sessionId, subscriptionId);
            this.outbox = outboxes.outbox(sessionId);
        }

        synchronized void offer(GroupEvent event, EventFrame frame) {
            if (revoked) {
                return;
            }
            if (held != null) {
                held.add(event);
                return;
            }
            send(event, frame);
        }

        /**
         * Sends the event unless already sent, as {@code frame} (the live one, encoded once for all subscribers) or,
         * when null, as a frame of its own (a catch-up: no time stamp for the send→deliver meter); revokes after a
         * removal of this user.
         */
        private void send(GroupEvent event, EventFrame frame) {
            if (event.seq() <= lastSent) {
                return;
            }
            lastSent = event.seq();
            outbox.send(frameHeaders, frame == null ? frame(event, 0) : frame);
            if (event.seq() > authorizedAt && removes(event, userId)) {
                revoke();
            }
        }

        private SimpMessageHeaderAccessor headers() {
            SimpMessageHeaderAccessor headers = SimpMessageHeaderAccessor.create(SimpMessageType.MESSAGE);
            headers.setSessionId(sessionId);
            headers.setSubscriptionId(subscriptionId);
            headers.setDestination(GroupDestinations.topic(groupId));
            headers.setContentType(MimeTypeUtils.APPLICATION_JSON);
            headers.setLeaveMutable(true);
            return headers;
        }

        /** The missed events are too many to replay: one frame says so, and the subscription goes on from now. */
        synchronized void resync(long latestSeq) {
            SimpMessageHeaderAccessor headers = headers();
            headers.setNativeHeader("chorus-resync", "true");
            outbox.send(
                    MessageBuilder.createMessage(toJson(Map.of("latestSeq", latestSeq)), headers.getMessageHeaders()));
            lastSent = Math.max(lastSent, latestSeq);
        }

        synchronized void revoke() {
            revoked = true;
            held = null;
            remove(this);
            revokeTyping(sessionId, groupId);
            log.info("user {} lost the subscription of session {} to group {}", userId, sessionId, groupId);
        }
    }

    /**
     * Registers a subscription, then sends what the subscriber missed: the events after {@code fromSeq} if given, or
     * else the events after the membership check (so that a removal between the check and the registration is not
     * missed), then the live events.
     */
    void subscribe(
            String sessionId, String subscriptionId, String userId, String groupId, long authorizedAt, Long fromSeq) {
        Subscription subscription = new Subscription(sessionId, subscriptionId, userId, groupId, authorizedAt);
        long from = fromSeq == null ? authorizedAt : fromSeq;
        subscription.lastSent = from;
        byGroup.computeIfAbsent(groupId, g -> new CopyOnWriteArrayList<>()).add(subscription);
        bySession.computeIfAbsent(sessionId, s -> ConcurrentHashMap.newKeySet()).add(subscription);
        catchUps.execute(() -> catchUp(subscription, from));
    }

    private void catchUp(Subscription subscription, long from) {
        try {
            long latestSeq = eventStore
                    .lastSequenceNumberFor(subscription.groupId)
                    .map(last -> last + 1)
                    .orElse(0L);
            if (latestSeq - from > properties.replayLimit()) {
                subscription.resync(latestSeq);
            } else if (latestSeq > from) {
                // a group's seq is its aggregate sequence number plus one
                DomainEventStream missed = eventStore.readEvents(subscription.groupId, from);
                while (missed.hasNext()) {
                    if (missed.next().getPayload() instanceof GroupEvent event && !sendWhenRoom(subscription, event)) {
                        return;
                    }
                }
            }
            goLive(subscription);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // the subscriber cannot be given a gap-free stream: say so rather than leave a hole
            log.warn(
                    "catching up subscription {} of session {} failed",
                    subscription.subscriptionId,
                    subscription.sessionId,
                    e);
            synchronized (subscription) {
                subscription.revoked = true;
                remove(subscription);
            }
            sendError(
                    subscription.sessionId,
                    subscription.userId,
                    "could not replay the events of group " + subscription.groupId + " after seq " + from
                            + "; subscribe again");
        }
    }

    /**
     * Sends a caught-up event once the session's queue has room; the subscription's lock is not held while waiting,
     * so live events for it keep being held back meanwhile. False when the subscription or session has ended.
     */
    private boolean sendWhenRoom(Subscription subscription, GroupEvent event) throws InterruptedException {
        if (!subscription.outbox.awaitRoom()) {
            return false;
        }
        synchronized (subscription) {
            if (subscription.revoked) {
                return false;
            }
            subscription.send(event, null);
            return true;
        }
    }

    /** Sends what was held back during the catch-up, batch by batch, until nothing is held; then it is live. */
    private void goLive(Subscription subscription) throws InterruptedException {
        while (true) {
            List<GroupEvent> batch;
            synchronized (subscription) {
                if (subscription.revoked) {
                    return;
                }
                if (subscription.held.isEmpty()) {
                    subscription.held = null;
                    return;
                }
                batch = subscription.held;
                subscription.held = new ArrayList<>();
            }
            for (GroupEvent event : batch) {
                if (!sendWhenRoom(subscription, event)) {
                    return;
                }
            }
        }
    }

    /**
     * Delivers a committed event of a group to its subscribers on this node; {@code timestampMillis} is when its
     * command made it (for the send→deliver meter), or 0.
     */
    void publish(GroupEvent event, long timestampMillis) {
        List<Subscription> subscribers = byGroup.get(event.groupId());
        if (subscribers == null || subscribers.isEmpty()) {
            return;
        }
        EventFrame frame = frame(event, timestampMillis);
        for (Subscription subscription : subscribers) {
            subscription.offer(event, frame);
        }
    }

    /** The event's MESSAGE frame; {@code timestampMillis} is its time for the meters, 0 in a catch-up. */
    private EventFrame frame(GroupEvent event, long timestampMillis) {
        return new EventFrame(
                GroupDestinations.topic(event.groupId()), event.seq(), eventType(event), body(event), timestampMillis);
    }

    void unsubscribe(String sessionId, String subscriptionId) {
        Set<Subscription> ofSession = bySession.get(sessionId);
        if (ofSession != null) {
            ofSession.stream()
                    .filter(s -> s.subscriptionId.equals(subscriptionId))
                    .toList()
                    .forEach(this::end);
        }
        Map<String, String> typing = typingBySession.get(sessionId);
        if (typing != null) {
            typing.remove(subscriptionId);
        }
    }

    /** Forgets the subscriptions of a closed session, however it closed. */
    @EventListener
    void disconnected(SessionDisconnectEvent event) {
        disconnected(event.getSessionId());
    }

    void disconnected(String sessionId) {
        outboxes.closed(sessionId);
        Set<Subscription> ofSession = bySession.remove(sessionId);
        if (ofSession != null) {
            ofSession.forEach(this::end);
        }
        typingBySession.remove(sessionId);
    }

    void subscribedToTyping(String sessionId, String subscriptionId, String groupId) {
        typingBySession
                .computeIfAbsent(sessionId, s -> new ConcurrentHashMap<>())
                .put(subscriptionId, groupId);
    }

    /** Whether the session follows the group (and so its user was a member when it subscribed and still is). */
    boolean follows(String sessionId, String groupId) {
        Set<Subscription> ofSession = bySession.get(sessionId);
        return ofSession != null && ofSession.stream().anyMatch(s -> s.groupId.equals(groupId) && !s.revoked);
    }

    /** Unsubscribed or disconnected: a catch-up in progress for it stops too. */
    private void end(Subscription subscription) {
        synchronized (subscription) {
            subscription.revoked = true;
        }
        remove(subscription);
    }

    private void remove(Subscription subscription) {
        List<Subscription> ofGroup = byGroup.get(subscription.groupId);
        if (ofGroup != null) {
            ofGroup.remove(subscription);
        }
        Set<Subscription> ofSession = bySession.get(subscription.sessionId);
        if (ofSession != null) {
            ofSession.remove(subscription);
        }
    }

    private void revokeTyping(String sessionId, String groupId) {
        Map<String, String> typing = typingBySession.get(sessionId);
        if (typing == null) {
            return;
        }
        typing.entrySet().removeIf(entry -> {
            if (!entry.getValue().equals(groupId)) {
                return false;
            }
            SimpMessageHeaderAccessor unsubscribe = SimpMessageHeaderAccessor.create(SimpMessageType.UNSUBSCRIBE);
            unsubscribe.setSessionId(sessionId);
            unsubscribe.setSubscriptionId(entry.getKey());
            broker.getSubscriptionRegistry()
                    .unregisterSubscription(MessageBuilder.createMessage(new byte[0], unsubscribe.getMessageHeaders()));
            return true;
        });
    }

    /** To the one session, not to every session of the user. */
    private void sendError(String sessionId, String userId, String reason) {
        SimpMessageHeaderAccessor headers = SimpMessageHeaderAccessor.create(SimpMessageType.MESSAGE);
        headers.setSessionId(sessionId);
        headers.setLeaveMutable(true);
        messaging.convertAndSendToUser(userId, "/queue/errors", Map.of("error", reason), headers.getMessageHeaders());
    }

    /** Answers a refused frame: an ERROR frame with the reason, after which Spring closes the connection. */
    void refuse(String sessionId, String reason) {
        StompHeaderAccessor error = StompHeaderAccessor.create(StompCommand.ERROR);
        error.setMessage(reason);
        error.setSessionId(sessionId);
        outboxes.send(sessionId, MessageBuilder.createMessage(new byte[0], error.getMessageHeaders()));
        log.info("refused a frame of session {}: {}", sessionId, reason);
    }

    static boolean removes(GroupEvent event, String userId) {
        return (event instanceof MemberLeftEvent left && left.userId().equals(userId))
                || (event instanceof MemberRemovedEvent removed
                        && removed.userId().equals(userId));
    }

    /** The event's name as API.md lists them (MessageSent, MemberJoined, …). */
    static String eventType(Object event) {
        return EventTypes.name(event.getClass());
    }

    /** The frame's body: for a sent message API.md's {@code Message}, otherwise the event as it is stored. */
    byte[] body(GroupEvent event) {
        if (event instanceof MessageSentEvent sent) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("groupId", sent.groupId());
            message.put("seq", sent.seq());
            message.put("messageId", sent.messageId());
            message.put("clientMessageId", sent.clientMessageId());
            message.put("senderId", sent.senderId());
            message.put("text", sent.text());
            message.put("sentAt", sent.sentAt().toString());
            if (sent.replyToSeq() != null) {
                message.put("replyToSeq", sent.replyToSeq());
            }
            message.put("deleted", false);
            return toJson(message);
        }
        return toJson(event);
    }

    private byte[] toJson(Object value) {
        try {
            return json.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    @Override
    public void destroy() {
        catchUps.shutdownNow();
    }
}
