package io.chorus.api.group;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** An owner or admin sets the group's topic ({@code ""} clears it). */
public record ChangeTopicCommand(
        @TargetAggregateIdentifier String groupId, String actorId, String topic, Instant changedAt) {}
