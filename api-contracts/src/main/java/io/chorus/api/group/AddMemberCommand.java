package io.chorus.api.group;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** An owner or admin adds a user to a group with a role (the way into an invite-only group). */
public record AddMemberCommand(
        @TargetAggregateIdentifier String groupId, String actorId, String userId, Role role, Instant addedAt) {}
