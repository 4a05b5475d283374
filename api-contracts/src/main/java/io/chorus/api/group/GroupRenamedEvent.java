package io.chorus.api.group;

import io.chorus.api.GroupEvent;
import java.time.Instant;
import org.axonframework.serialization.Revision;

/** An owner or admin gave the group a new name. */
@Revision("1")
public record GroupRenamedEvent(String groupId, long seq, String name, String renamedBy, Instant renamedAt)
        implements GroupEvent {}
