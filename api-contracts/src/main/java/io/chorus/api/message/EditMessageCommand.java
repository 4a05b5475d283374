package io.chorus.api.message;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** The author replaces the text of the message at {@code messageSeq}. */
public record EditMessageCommand(
        @TargetAggregateIdentifier String groupId, String editorId, long messageSeq, String text, Instant editedAt) {}
