package io.chorus.api.group;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** An owner or admin changes a member's role. */
public record ChangeRoleCommand(
        @TargetAggregateIdentifier String groupId, String actorId, String userId, Role role, Instant changedAt) {}
