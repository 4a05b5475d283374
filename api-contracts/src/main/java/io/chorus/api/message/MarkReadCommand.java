package io.chorus.api.message;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** A member has read the group up to {@code seq}; the read marker only moves forward. */
public record MarkReadCommand(@TargetAggregateIdentifier String groupId, String userId, long seq, Instant readAt) {}
