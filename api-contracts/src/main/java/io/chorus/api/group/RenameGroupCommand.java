package io.chorus.api.group;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** An owner or admin renames the group. */
public record RenameGroupCommand(
        @TargetAggregateIdentifier String groupId, String actorId, String name, Instant renamedAt) {}
