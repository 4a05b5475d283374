package io.chorus.api.group;

import io.chorus.api.GroupEvent;
import java.time.Instant;
import org.axonframework.serialization.Revision;

/** A member left the group. */
@Revision("1")
public record MemberLeftEvent(String groupId, long seq, String userId, Instant leftAt) implements GroupEvent {}
