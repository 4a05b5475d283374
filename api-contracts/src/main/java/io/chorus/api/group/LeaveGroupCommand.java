package io.chorus.api.group;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** A member leaves a group. */
public record LeaveGroupCommand(@TargetAggregateIdentifier String groupId, String userId, Instant leftAt) {}
