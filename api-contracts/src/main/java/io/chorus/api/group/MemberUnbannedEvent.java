package io.chorus.api.group;

import io.chorus.api.GroupEvent;
import java.time.Instant;
import org.axonframework.serialization.Revision;

/** A ban was lifted; the user may join or be added again. */
@Revision("1")
public record MemberUnbannedEvent(String groupId, long seq, String userId, String unbannedBy, Instant unbannedAt)
        implements GroupEvent {}
