package io.chorus.web.command;

import io.chorus.api.Identifiers;
import io.chorus.api.message.SendMessageCommand;
import io.chorus.api.message.SendReceiptView;
import io.chorus.api.rejection.InvalidFieldException;
import io.chorus.web.ratelimit.RateLimitedAction;
import io.chorus.web.ratelimit.RateLimitedException;
import io.chorus.web.ratelimit.RateLimiter;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.springframework.stereotype.Component;

/**
 * The one way a message is sent, for REST and STOMP alike: the group id is checked, the sender's send limit spent,
 * and the command sent, stamped with the time. The answer completes once the event is committed, or with why it was
 * refused ({@link Refusal#of}); a refusal stored nothing.
 */
@Component
public class MessageSender {

    private final CommandGateway commands;
    private final RateLimiter rateLimiter;
    private final Clock clock = Clock.systemUTC();

    public MessageSender(CommandGateway commands, RateLimiter rateLimiter) {
        this.commands = commands;
        this.rateLimiter = rateLimiter;
    }

    /** What a client asks to send; {@code replyToSeq} may be null. */
    public record Send(String groupId, String clientMessageId, String text, Long replyToSeq) {}

    /**
     * Sends for {@code senderId}. {@code standing} hears where the sender stands with the send limit (when it
     * applies) before anything else happens, refused or not, so that REST can answer with it.
     */
    public CompletableFuture<SendReceiptView> send(
            Send send, String senderId, Consumer<RateLimiter.Decision> standing) {
        if (!Identifiers.isGroupId(send.groupId())) {
            return CompletableFuture.failedFuture(new InvalidFieldException("groupId", Identifiers.GROUP_ID_RULE));
        }
        RateLimiter.Decision decision =
                rateLimiter.acquire(RateLimitedAction.SENDS, senderId).orElse(null);
        if (decision != null) {
            standing.accept(decision);
            if (!decision.allowed()) {
                return CompletableFuture.failedFuture(
                        new RateLimitedException(RateLimitedAction.SENDS, decision.retryAfter()));
            }
        }
        return commands.send(new SendMessageCommand(
                send.groupId(), senderId, send.clientMessageId(), send.text(), send.replyToSeq(), now()));
    }

    /** The time stamped on a command: milliseconds, as stored and returned. */
    public Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }
}
