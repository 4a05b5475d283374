package io.chorus.api.group;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Creates a group whose creator becomes its first owner. */
public record CreateGroupCommand(
        @TargetAggregateIdentifier String groupId,
        String name,
        Visibility visibility,
        String ownerId,
        Instant createdAt) {}
