package io.chorus.api.group;

import io.chorus.api.GroupEvent;
import java.time.Instant;
import org.axonframework.serialization.Revision;

/** An owner archived the group: it takes no more messages, edits, joins or adds until unarchived. */
@Revision("1")
public record GroupArchivedEvent(String groupId, long seq, String archivedBy, Instant archivedAt)
        implements GroupEvent {}
