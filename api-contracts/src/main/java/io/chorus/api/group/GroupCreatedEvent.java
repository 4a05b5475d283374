package io.chorus.api.group;

import io.chorus.api.GroupEvent;
import java.time.Instant;
import org.axonframework.serialization.Revision;

/** A group was created; always the group's first event (seq 1). */
@Revision("1")
public record GroupCreatedEvent(
        String groupId, long seq, String name, Visibility visibility, String ownerId, Instant createdAt)
        implements GroupEvent {}
