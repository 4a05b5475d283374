package io.chorus.api.group;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** An owner or admin removes a member, and with {@code ban} keeps them from coming back until unbanned. */
public record RemoveMemberCommand(
        @TargetAggregateIdentifier String groupId, String actorId, String userId, boolean ban, Instant removedAt) {}
