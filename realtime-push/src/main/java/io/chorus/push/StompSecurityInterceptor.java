package io.chorus.push;

import io.chorus.api.Identifiers;
import io.chorus.api.MembershipLookup;
import io.chorus.api.MembershipLookup.Membership;
import java.security.Principal;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageChannel;
import org.springframework.messaging.simp.stomp.StompCommand;
import org.springframework.messaging.simp.stomp.StompHeaderAccessor;
import org.springframework.messaging.support.ChannelInterceptor;
import org.springframework.messaging.support.MessageBuilder;
import org.springframework.messaging.support.MessageHeaderAccessor;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.stereotype.Component;

/**
 * Authentication and authorization of STOMP frames. CONNECT must carry {@code Authorization: Bearer <JWT>}; the
 * token's subject becomes the session's user for every later frame, so nobody acts as someone else. SUBSCRIBE to
 * {@code /topic/groups.{groupId}} (and its {@code .typing}) is for members of the group only; clients SEND to
 * {@code /app/…} only. A refused frame goes no further: the client gets an ERROR frame naming the reason and the
 * connection is closed, as STOMP requires. (Refusals are not thrown: with inbound frames kept in order, Spring would
 * only log them, headers and token included, and send no ERROR frame.)
 */
@Component
class StompSecurityInterceptor implements ChannelInterceptor {

    private static final Logger log = LoggerFactory.getLogger(StompSecurityInterceptor.class);

    static final String FROM_SEQ = "from-seq";

    private final JwtDecoder jwtDecoder;
    private final MembershipLookup members;
    // the registry needs the broker's channels, which are built after this interceptor
    private final ObjectProvider<GroupSubscriptions> subscriptions;
    private final SessionGuard sessions;
    private final SessionAcks acks;
    private final SessionOutboxes outboxes;

    StompSecurityInterceptor(
            JwtDecoder jwtDecoder,
            MembershipLookup members,
            ObjectProvider<GroupSubscriptions> subscriptions,
            SessionGuard sessions,
            SessionAcks acks,
            SessionOutboxes outboxes) {
        this.jwtDecoder = jwtDecoder;
        this.members = members;
        this.subscriptions = subscriptions;
        this.sessions = sessions;
        this.acks = acks;
        this.outboxes = outboxes;
    }

    /** The session's user: the token's subject. */
    record StompUser(String getName) implements Principal {}

    /** Why a frame was refused; the text goes into the ERROR frame's {@code message} header. */
    static final class Refused extends RuntimeException {
        Refused(String reason) {
            super(reason, null, false, false);
        }
    }

    @Override
    public Message<?> preSend(Message<?> message, MessageChannel channel) {
        StompHeaderAccessor stomp = MessageHeaderAccessor.getAccessor(message, StompHeaderAccessor.class);
        if (stomp == null || stomp.getCommand() == null) {
            return message;
        }
        try {
            return check(message, stomp);
        } catch (Refused refused) {
            subscriptions.getObject().refuse(stomp.getSessionId(), refused.getMessage());
            return null;
        }
    }

    private Message<?> check(Message<?> message, StompHeaderAccessor stomp) {
        StompCommand command = stomp.getCommand();
        if (command != StompCommand.CONNECT
                && command != StompCommand.STOMP
                && command != StompCommand.DISCONNECT
                && stomp.getUser() == null) {
            throw new Refused("not connected: send CONNECT with a token before " + command);
        }
        switch (command) {
            case CONNECT, STOMP -> {
                Jwt token = authenticate(stomp.getFirstNativeHeader("Authorization"));
                sessions.connected(stomp.getSessionId(), token.getSubject(), token.getExpiresAt());
                stomp.setUser(new StompUser(token.getSubject()));
            }
            case SUBSCRIBE -> {
                sessions.subscribed(stomp.getSessionId(), stomp.getSubscriptionId());
                if (!subscribe(stomp)) {
                    // a typing topic: its notices (and its RECEIPT) go out through GroupSubscriptions, not the broker
                    return null;
                }
            }
            case UNSUBSCRIBE -> {
                sessions.unsubscribed(stomp.getSessionId(), stomp.getSubscriptionId());
                subscriptions.getObject().unsubscribe(stomp.getSessionId(), stomp.getSubscriptionId());
                acks.unsubscribed(stomp.getSessionId(), stomp.getSubscriptionId());
            }
            case SEND -> {
                String destination = stomp.getDestination();
                if (destination == null || !destination.startsWith("/app/")) {
                    throw new Refused("clients SEND to /app/… only, not to " + destination);
                }
            }
            default -> {}
        }
        return message;
    }

    /**
     * Answers a processed frame that asked for a receipt (STOMP 1.2: every frame but CONNECT may), once every handler
     * of the inbound channel has run (they run on this thread). A group topic's SUBSCRIBE is answered by
     * {@link GroupSubscriptions} instead, with the seq the subscription continues after; a DISCONNECT by Spring.
     */
    @Override
    public void afterSendCompletion(Message<?> message, MessageChannel channel, boolean sent, Exception ex) {
        StompHeaderAccessor stomp = MessageHeaderAccessor.getAccessor(message, StompHeaderAccessor.class);
        if (!sent || ex != null || stomp == null || stomp.getReceipt() == null || stomp.getCommand() == null) {
            return;
        }
        StompCommand command = stomp.getCommand();
        if (command == StompCommand.CONNECT || command == StompCommand.STOMP || command == StompCommand.DISCONNECT) {
            return;
        }
        if (command == StompCommand.SUBSCRIBE && GroupDestinations.parse(stomp.getDestination()) != null) {
            return;
        }
        receipt(stomp, null);
    }

    /** Queues the RECEIPT of a frame (with {@code chorus-seq} when given) behind what the session was sent. */
    void receipt(StompHeaderAccessor frame, Long seq) {
        String id = frame.getReceipt();
        if (id != null) {
            outboxes.send(frame.getSessionId(), receiptFrame(frame.getSessionId(), id, seq));
        }
    }

    static Message<byte[]> receiptFrame(String sessionId, String receiptId, Long seq) {
        StompHeaderAccessor receipt = StompHeaderAccessor.create(StompCommand.RECEIPT);
        receipt.setReceiptId(receiptId);
        receipt.setSessionId(sessionId);
        if (seq != null) {
            receipt.setNativeHeader(GroupSubscriptions.CHORUS_SEQ, Long.toString(seq));
        }
        return MessageBuilder.createMessage(new byte[0], receipt.getMessageHeaders());
    }

    private Jwt authenticate(String authorization) {
        if (authorization == null || !authorization.startsWith("Bearer ")) {
            throw new Refused("CONNECT needs the header Authorization: Bearer <token>");
        }
        Jwt jwt;
        try {
            jwt = jwtDecoder.decode(authorization.substring("Bearer ".length()).trim());
        } catch (JwtException e) {
            throw new Refused("invalid or expired token");
        }
        String subject = jwt.getSubject();
        if (subject == null || !Identifiers.isUserId(subject)) {
            throw new Refused("the token's subject is not a valid user id");
        }
        return jwt;
    }

    /** Checks and registers a SUBSCRIBE; false when the broker is not to see it. */
    private boolean subscribe(StompHeaderAccessor stomp) {
        Principal user = stomp.getUser();
        if (user == null) {
            throw new Refused("not connected");
        }
        if (stomp.getFirstNativeHeader("selector") != null) {
            // Spring's simple broker would evaluate it as an expression on every message: not offered here
            throw new Refused("the selector header is not supported");
        }
        String destination = stomp.getDestination();
        if (GroupDestinations.ACKS.equals(destination)) {
            acks.subscribed(stomp.getSessionId(), stomp.getSubscriptionId());
            return true;
        }
        if (GroupDestinations.ERRORS.equals(destination)) {
            return true;
        }
        GroupDestinations.GroupTopic topic = GroupDestinations.parse(destination);
        if (topic == null) {
            throw new Refused("no such destination: " + destination);
        }
        Long fromSeq = fromSeq(stomp.getFirstNativeHeader(FROM_SEQ));
        if (fromSeq == null && !topic.typing()) {
            // a live subscription starts where the group is as the frame arrives, before the (maybe slow) check:
            // whatever is committed from now on reaches it
            fromSeq = subscriptions.getObject().head(topic.groupId());
        }
        Optional<Membership> found;
        try {
            found = members.membership(topic.groupId(), user.getName());
        } catch (RuntimeException e) {
            log.warn(
                    "membership of {} in group {} could not be checked: {}",
                    user.getName(),
                    topic.groupId(),
                    e.toString());
            throw new Refused(
                    "membership of group " + topic.groupId() + " cannot be checked now; subscribe again later");
        }
        Membership membership =
                found.orElseThrow(() -> new Refused("only members subscribe to group " + topic.groupId()));
        subscriptions
                .getObject()
                .subscribe(
                        stomp.getSessionId(),
                        stomp.getSubscriptionId(),
                        user.getName(),
                        topic.groupId(),
                        topic.typing(),
                        membership.asOfSeq(),
                        fromSeq,
                        stomp.getReceipt());
        return !topic.typing();
    }

    private static Long fromSeq(String header) {
        if (header == null) {
            return null;
        }
        try {
            long seq = Long.parseLong(header.trim());
            if (seq >= 0) {
                return seq;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new Refused("header from-seq must be a seq, 0 or more; got '" + header + "'");
    }
}
