package io.chorus.api.group;

import io.chorus.api.GroupEvent;
import java.time.Instant;
import org.axonframework.serialization.Revision;

/** A user was removed (and, with {@code banned}, banned) by an owner or admin; a ban may concern a user who was not a member. */
@Revision("1")
public record MemberRemovedEvent(
        String groupId, long seq, String userId, String removedBy, boolean banned, boolean wasMember, Instant removedAt)
        implements GroupEvent {}
