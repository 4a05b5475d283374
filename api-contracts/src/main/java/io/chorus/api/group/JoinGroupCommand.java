package io.chorus.api.group;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** A user joins an open group by themselves. */
public record JoinGroupCommand(@TargetAggregateIdentifier String groupId, String userId, Instant joinedAt) {}
