package io.chorus.push;

import io.chorus.web.command.MessageSender;
import io.chorus.web.command.Refusal;
import io.chorus.web.ratelimit.RateLimitedException;
import java.security.Principal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.messaging.converter.MessageConversionException;
import org.springframework.messaging.handler.annotation.DestinationVariable;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.messaging.handler.annotation.MessageExceptionHandler;
import org.springframework.messaging.handler.annotation.MessageMapping;
import org.springframework.messaging.handler.annotation.Payload;
import org.springframework.messaging.simp.SimpMessageHeaderAccessor;
import org.springframework.stereotype.Controller;

/**
 * What clients SEND: messages to a group (acknowledged to the sending session on {@code /user/queue/acks}, with the
 * seq or with an error; a bad send never closes the connection) and the ephemeral typing notice. The sender is
 * always the connection's user.
 */
@Controller
class GroupMessaging {

    private static final Logger log = LoggerFactory.getLogger(GroupMessaging.class);

    private final MessageSender sender;
    private final GroupSubscriptions subscriptions;
    private final SessionAcks acks;
    private static final String TYPING = "chorus.typing.";
    private static final long TYPING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    GroupMessaging(MessageSender sender, GroupSubscriptions subscriptions, SessionAcks acks) {
        this.sender = sender;
        this.subscriptions = subscriptions;
        this.acks = acks;
    }

    record SendFrame(String clientMessageId, String text, Long replyToSeq) {}

    @MessageMapping("groups.{groupId}.messages")
    void send(
            @DestinationVariable String groupId,
            @Payload SendFrame frame,
            Principal user,
            @Header(SimpMessageHeaderAccessor.SESSION_ID_HEADER) String sessionId) {
        String clientMessageId = frame.clientMessageId();
        // acknowledged once the event is committed (the command runs on this thread until its commit)
        sender.send(
                        new MessageSender.Send(groupId, clientMessageId, frame.text(), frame.replyToSeq()),
                        user.getName(),
                        standing -> {})
                .whenComplete((receipt, failure) -> {
                    if (failure == null) {
                        Map<String, Object> ack = new LinkedHashMap<>();
                        ack.put("clientMessageId", clientMessageId);
                        ack.put("seq", receipt.seq());
                        acks.send(sessionId, ack);
                    } else {
                        acks.send(sessionId, rejected(clientMessageId, failure));
                    }
                });
    }

    @MessageMapping("groups.{groupId}.typing")
    void typing(
            @DestinationVariable String groupId,
            Principal user,
            @Header(SimpMessageHeaderAccessor.SESSION_ID_HEADER) String sessionId,
            @Header(SimpMessageHeaderAccessor.SESSION_ATTRIBUTES) Map<String, Object> session) {
        // only a session that follows the group (so a member, checked at SUBSCRIBE and revoked on removal) types,
        // and at most one notice a second per group: a notice lasts a few seconds on screen
        if (!subscriptions.follows(sessionId, groupId)) {
            return;
        }
        long now = System.nanoTime();
        Object last = session.get(TYPING + groupId);
        if (last instanceof Long at && now - at < TYPING_INTERVAL_NANOS) {
            return;
        }
        session.put(TYPING + groupId, now);
        subscriptions.typing(groupId, user.getName());
    }

    /** A SEND whose body is not the expected JSON: answered on the acks queue, the connection stays. */
    @MessageExceptionHandler(MessageConversionException.class)
    void unreadable(
            MessageConversionException e, @Header(SimpMessageHeaderAccessor.SESSION_ID_HEADER) String sessionId) {
        acks.send(sessionId, error(null, 400, "body: must be JSON {\"clientMessageId\",\"text\",\"replyToSeq\"?}"));
    }

    private static Map<String, Object> rejected(String clientMessageId, Throwable failure) {
        return Refusal.of(failure)
                .map(refusal -> {
                    Map<String, Object> ack = error(clientMessageId, refusal.status(), refusal.detail());
                    if (refusal.retryAfter() != null) {
                        ack.put("retryAfter", RateLimitedException.retryAfterSeconds(refusal.retryAfter()));
                    }
                    return ack;
                })
                .orElseGet(() -> {
                    log.error("a STOMP send failed", Refusal.unwrapped(failure));
                    return error(clientMessageId, 500, "the send failed; nothing was stored, send again");
                });
    }

    private static Map<String, Object> error(String clientMessageId, int status, String detail) {
        Map<String, Object> ack = new LinkedHashMap<>();
        ack.put("clientMessageId", clientMessageId);
        ack.put("error", Map.of("status", status, "detail", detail));
        return ack;
    }
}
