package io.chorus.api.group;

import io.chorus.api.GroupEvent;
import java.time.Instant;
import org.axonframework.serialization.Revision;

/** An owner or admin set the group's topic ({@code ""}: none). */
@Revision("1")
public record TopicChangedEvent(String groupId, long seq, String topic, String changedBy, Instant changedAt)
        implements GroupEvent {}
