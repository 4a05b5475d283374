package io.chorus.api.group;

import io.chorus.api.GroupEvent;
import java.time.Instant;
import org.axonframework.serialization.Revision;

/** A user became a member, by joining ({@code addedBy} null) or by being added. */
@Revision("1")
public record MemberJoinedEvent(String groupId, long seq, String userId, Role role, String addedBy, Instant joinedAt)
        implements GroupEvent {}
