package io.chorus.api.message;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** A member sends a message; repeated with the same {@code clientMessageId} it has no second effect. {@code replyToSeq} may be null. */
public record SendMessageCommand(
        @TargetAggregateIdentifier String groupId,
        String senderId,
        String clientMessageId,
        String text,
        Long replyToSeq,
        Instant sentAt) {}
