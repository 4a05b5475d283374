package io.chorus.api.group;

import io.chorus.api.GroupEvent;
import java.time.Instant;
import org.axonframework.serialization.Revision;

/** A member's role changed. */
@Revision("1")
public record RoleChangedEvent(String groupId, long seq, String userId, Role role, String changedBy, Instant changedAt)
        implements GroupEvent {}
