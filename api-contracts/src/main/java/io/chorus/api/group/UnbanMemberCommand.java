package io.chorus.api.group;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** An owner or admin lifts a ban. */
public record UnbanMemberCommand(
        @TargetAggregateIdentifier String groupId, String actorId, String userId, Instant unbannedAt) {}
