package io.chorus.api.message;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** The author or an admin removes the text of the message at {@code messageSeq}; its seq stays. */
public record DeleteMessageCommand(
        @TargetAggregateIdentifier String groupId, String actorId, long messageSeq, Instant deletedAt) {}
