package io.chorus.api.message;

import io.chorus.api.GroupEvent;
import java.time.Instant;
import org.axonframework.serialization.Revision;

/** A message was sent. {@code messageId} is derived from group, sender and client message id; {@code replyToSeq} may be null. */
@Revision("1")
public record MessageSentEvent(
        String groupId,
        long seq,
        String messageId,
        String clientMessageId,
        String senderId,
        String text,
        Long replyToSeq,
        Instant sentAt)
        implements GroupEvent {}
