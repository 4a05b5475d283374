package io.chorus.api.group;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** An owner archives the group ({@code archived} true) or unarchives it (false). */
public record ArchiveGroupCommand(
        @TargetAggregateIdentifier String groupId, String actorId, boolean archived, Instant at) {}
