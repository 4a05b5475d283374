package io.chorus.push;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chorus.api.GroupEvent;
import io.chorus.api.group.MemberLeftEvent;
import io.chorus.api.group.MemberRemovedEvent;
import io.chorus.api.message.MessageSentEvent;
import io.chorus.api.schema.EventTypes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.event.EventListener;
import org.springframework.messaging.simp.SimpMessageHeaderAccessor;
import org.springframework.messaging.simp.SimpMessageType;
import org.springframework.messaging.simp.SimpMessagingTemplate;
import org.springframework.messaging.simp.stomp.StompCommand;
import org.springframework.messaging.simp.stomp.StompHeaderAccessor;
import org.springframework.messaging.support.MessageBuilder;
import org.springframework.stereotype.Component;
import org.springframework.util.MimeTypeUtils;
import org.springframework.web.socket.messaging.SessionDisconnectEvent;

/**
 * The subscriptions to {@code /topic/groups.{groupId}} and its typing topic on this node, and the delivery of each
 * group's events and typing notices to them. The broker is bypassed for these topics: every subscription has its own
 * position (the last seq it was sent), so that a resuming subscriber gets the missed events from the event store and
 * then the live ones, each once and in seq order. While it catches up, live events for it are held back (up to a
 * bound, past which the catch-up reads on from the event store) and released after the catch-up, minus what the
 * catch-up already sent. A catch-up never blocks a thread on a slow client: it goes on when the session's queue has
 * room.
 *
 * <p>Revocation does not depend on a subscription's position: every event after the membership check passes the
 * removal test, sent or not, and the catch-up reads from the check on even when the subscriber asks for later events;
 * a member who leaves or is removed gets that event and then loses every subscription to the group (its topic and its
 * typing topic), on every session. A {@code from-seq} above the group's last seq is answered with a resync to it.
 */
@Component
class GroupSubscriptions implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(GroupSubscriptions.class);

    /** The RECEIPT header of a SUBSCRIBE that names the seq the subscription continues after. */
    static final String CHORUS_SEQ = "chorus-seq";

    private final EventStore eventStore;
    private final SessionOutboxes outboxes;
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

    GroupSubscriptions(
            EventStore eventStore,
            SessionOutboxes outboxes,
            SimpMessagingTemplate messaging,
            ObjectMapper json,
            PushProperties properties) {
        this.eventStore = eventStore;
        this.outboxes = outboxes;
        this.messaging = messaging;
        this.json = json;
        this.properties = properties;
    }

    /** One SUBSCRIBE of a session to a group's topic or (when {@code typing}) to its typing notices. */
    private final class Subscription {
        final String sessionId;
        final String subscriptionId;
        final String userId;
        final String groupId;
        final boolean typing;
        /** Seq of the group's latest event at which the membership was checked; a later removal revokes. */
        final long authorizedAt;
        /** Its part of each event frame ({@link EventFrame#subscriptionHeaders}). */
        final byte[] frameHeaders;
        /** Its session's queue, kept rather than looked up per event. */
        final SessionOutboxes.Outbox outbox;

        long lastSent;
        /** Live events held back while catching up; null once live. */
        List<GroupEvent> held = new ArrayList<>();
        /** More live events came during the catch-up than are held: the catch-up reads them from the store. */
        boolean overflowed;

        boolean revoked;

        Subscription(
                String sessionId,
                String subscriptionId,
                String userId,
                String groupId,
                boolean typing,
                long authorizedAt) {
            this.sessionId = sessionId;
            this.subscriptionId = subscriptionId;
            this.userId = userId;
            this.groupId = groupId;
            this.typing = typing;
            this.authorizedAt = authorizedAt;
            this.frameHeaders = EventFrame.subscriptionHeaders(sessionId, subscriptionId);
            this.outbox = outboxes.outbox(sessionId);
        }

        void offer(GroupEvent event, EventFrame frame) {
            synchronized (this) {
                if (revoked) {
                    return;
                }
                if (held != null) {
                    if (held.size() < properties.catchUpHeldLimit()) {
                        held.add(event);
                    } else {
                        overflowed = true;
                    }
                    return;
                }
                if (!send(event, frame)) {
                    return;
                }
            }
            revokeAllOf(sessionId, userId, groupId);
        }

        /** A caught-up event, unless revoked meanwhile. */
        void caughtUp(GroupEvent event) {
            synchronized (this) {
                if (revoked || !send(event, null)) {
                    return;
                }
            }
            revokeAllOf(sessionId, userId, groupId);
        }

        /**
         * Sends the event unless already sent, as {@code frame} (the live one, encoded once for all subscribers) or,
         * when null, as a frame of its own (a catch-up: no time stamp for the send→deliver meter); revokes after a
         * removal of this user made after the membership check, whether or not the event itself was sent. True when it
         * revoked: then the caller revokes the session's other subscriptions to the group, without this one's lock.
         */
        private boolean send(GroupEvent event, EventFrame frame) {
            if (!typing && event.seq() > lastSent) {
                lastSent = event.seq();
                outbox.send(frameHeaders, frame == null ? frame(event, 0) : frame);
            }
            if (event.seq() > authorizedAt && removes(event, userId)) {
                revoke();
                return true;
            }
            return false;
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

        /**
         * The missed events are too many to replay, or the subscriber claims events the group does not have yet: one
         * frame says where the group is, and the subscription goes on from there.
         */
        synchronized void resync(long latestSeq) {
            SimpMessageHeaderAccessor headers = headers();
            headers.setNativeHeader("chorus-resync", "true");
            outbox.send(
                    MessageBuilder.createMessage(toJson(Map.of("latestSeq", latestSeq)), headers.getMessageHeaders()));
            lastSent = latestSeq;
        }

        /**
         * The SUBSCRIBE's RECEIPT: the subscription is registered, and {@code chorus-seq} is the seq it continues
         * after (the first event it sends is the next one; none for a typing topic, whose notices carry no seq).
         * Queued before any event of the catch-up.
         */
        synchronized void receipt(String receiptId) {
            outbox.send(StompSecurityInterceptor.receiptFrame(sessionId, receiptId, typing ? null : lastSent));
        }

        synchronized void revoke() {
            if (revoked) {
                return;
            }
            revoked = true;
            held = null;
            remove(this);
            log.info(
                    "user {} lost the {} subscription of session {} to group {}",
                    userId,
                    typing ? "typing" : "topic",
                    sessionId,
                    groupId);
        }
    }

    /**
     * Registers a subscription, then sends what the subscriber missed: the events after {@code fromSeq} if given, or
     * else the events after the membership check (so that a removal between the check and the registration is not
     * missed), then the live events. A typing subscription is sent no events; its catch-up only looks for a removal.
     */
    void subscribe(
            String sessionId,
            String subscriptionId,
            String userId,
            String groupId,
            boolean typing,
            long authorizedAt,
            Long fromSeq,
            String receiptId) {
        Subscription subscription = new Subscription(sessionId, subscriptionId, userId, groupId, typing, authorizedAt);
        long from = fromSeq == null || typing ? authorizedAt : fromSeq;
        subscription.lastSent = from;
        byGroup.computeIfAbsent(groupId, g -> new CopyOnWriteArrayList<>()).add(subscription);
        bySession.computeIfAbsent(sessionId, s -> ConcurrentHashMap.newKeySet()).add(subscription);
        catchUps.execute(() -> startCatchUp(subscription, from, receiptId));
    }

    /** The seq of the group's last committed event (0 for none): where a live subscription starts. */
    long head(String groupId) {
        return eventStore.lastSequenceNumberFor(groupId).map(last -> last + 1).orElse(0L);
    }

    /**
     * Reads the group's head, then the events from the membership check or {@code from}, whichever is earlier (the
     * ones the subscriber has are only checked for a removal), and sends them as the session's queue has room.
     */
    private void startCatchUp(Subscription subscription, long from, String receiptId) {
        try {
            long latestSeq = head(subscription.groupId);
            if (!subscription.typing && (latestSeq - from > properties.replayLimit() || from > latestSeq)) {
                subscription.resync(latestSeq);
            }
            if (receiptId != null) {
                subscription.receipt(receiptId);
            }
            long readFrom = Math.min(from, subscription.authorizedAt);
            Iterator<GroupEvent> missed =
                    latestSeq > readFrom ? stored(subscription.groupId, readFrom) : Collections.emptyIterator();
            new CatchUp(subscription, missed).run();
        } catch (RuntimeException e) {
            failed(subscription, from, e);
        }
    }

    /** The rest of one catch-up, run again whenever the session's queue has room. */
    private final class CatchUp implements Runnable {

        private final Subscription subscription;
        private Iterator<GroupEvent> missed;

        CatchUp(Subscription subscription, Iterator<GroupEvent> missed) {
            this.subscription = subscription;
            this.missed = missed;
        }

        @Override
        public void run() {
            try {
                while (true) {
                    if (subscription.outbox.ended() || isRevoked()) {
                        end(subscription);
                        return;
                    }
                    if (!subscription.typing && !subscription.outbox.hasRoom()) {
                        subscription.outbox.whenRoom(() -> catchUps.execute(this));
                        return;
                    }
                    if (missed.hasNext()) {
                        subscription.caughtUp(missed.next());
                        continue;
                    }
                    if (goLive()) {
                        return;
                    }
                }
            } catch (RuntimeException e) {
                failed(subscription, subscription.lastSent, e);
            }
        }

        private boolean isRevoked() {
            synchronized (subscription) {
                return subscription.revoked;
            }
        }

        /**
         * Takes what was held back to send next; true once nothing is held and the subscription is live. When more
         * was offered than it holds, the catch-up reads on from the event store after what it sent.
         */
        private boolean goLive() {
            synchronized (subscription) {
                if (subscription.revoked) {
                    return true;
                }
                if (subscription.overflowed) {
                    subscription.overflowed = false;
                    subscription.held = new ArrayList<>();
                    long after = subscription.typing ? subscription.authorizedAt : subscription.lastSent;
                    missed = stored(subscription.groupId, after);
                    return false;
                }
                if (subscription.held.isEmpty()) {
                    subscription.held = null;
                    return true;
                }
                missed = subscription.held.iterator();
                subscription.held = new ArrayList<>();
                return false;
            }
        }
    }

    /** The group's events after {@code seq}, read from the event store as they are taken. */
    private Iterator<GroupEvent> stored(String groupId, long seq) {
        // a group's seq is its aggregate sequence number plus one
        return eventStore
                .readEvents(groupId, seq)
                .asStream()
                .map(message -> message.getPayload())
                .filter(GroupEvent.class::isInstance)
                .map(GroupEvent.class::cast)
                .iterator();
    }

    private void failed(Subscription subscription, long from, RuntimeException e) {
        // the subscriber cannot be given a gap-free stream: say so rather than leave a hole
        log.warn(
                "catching up subscription {} of session {} failed",
                subscription.subscriptionId,
                subscription.sessionId,
                e);
        end(subscription);
        sendError(
                subscription.sessionId,
                subscription.userId,
                "could not replay the events of group " + subscription.groupId + " after seq " + from
                        + "; subscribe again");
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

    /** A typing notice of a member, to the group's typing subscribers on this node (not stored, no seq). */
    void typing(String groupId, String userId) {
        List<Subscription> subscribers = byGroup.get(groupId);
        if (subscribers == null || subscribers.isEmpty()) {
            return;
        }
        EventFrame frame = EventFrame.withoutSeq(
                GroupDestinations.typing(groupId), toJson(Map.of("groupId", groupId, "userId", userId)));
        for (Subscription subscription : subscribers) {
            if (subscription.typing) {
                synchronized (subscription) {
                    if (!subscription.revoked) {
                        subscription.outbox.send(subscription.frameHeaders, frame);
                    }
                }
            }
        }
    }

    void unsubscribe(String sessionId, String subscriptionId) {
        Set<Subscription> ofSession = bySession.get(sessionId);
        if (ofSession != null) {
            ofSession.stream()
                    .filter(s -> s.subscriptionId.equals(subscriptionId))
                    .toList()
                    .forEach(this::end);
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
    }

    /**
     * Whether the session follows the group, its topic or its typing notices (and so its user was a member when it
     * subscribed and still is).
     */
    boolean follows(String sessionId, String groupId) {
        Set<Subscription> ofSession = bySession.get(sessionId);
        return ofSession != null && ofSession.stream().anyMatch(s -> s.groupId.equals(groupId) && !s.revoked);
    }

    /** Unsubscribed or disconnected: a catch-up in progress for it stops too. */
    private void end(Subscription subscription) {
        synchronized (subscription) {
            subscription.revoked = true;
            subscription.held = null;
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

    /** A removal revokes every subscription of the session to the group: its topic and its typing notices. */
    private void revokeAllOf(String sessionId, String userId, String groupId) {
        Set<Subscription> ofSession = bySession.get(sessionId);
        if (ofSession == null) {
            return;
        }
        ofSession.stream()
                .filter(s -> s.groupId.equals(groupId) && s.userId.equals(userId))
                .toList()
                .forEach(Subscription::revoke);
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
