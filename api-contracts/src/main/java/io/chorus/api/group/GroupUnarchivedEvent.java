package io.chorus.api.group;

import io.chorus.api.GroupEvent;
import java.time.Instant;
import org.axonframework.serialization.Revision;

/** An owner unarchived the group. */
@Revision("1")
public record GroupUnarchivedEvent(String groupId, long seq, String unarchivedBy, Instant unarchivedAt)
        implements GroupEvent {}
