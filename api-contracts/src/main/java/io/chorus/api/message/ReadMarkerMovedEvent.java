package io.chorus.api.message;

import java.time.Instant;
import org.axonframework.serialization.Revision;

/**
 * A member read the group up to {@code readSeq}. Not one of the group's numbered events: it takes no seq, so it is
 * not a {@code GroupEvent}; consumers keep the highest {@code readSeq} per member.
 */
@Revision("1")
public record ReadMarkerMovedEvent(String groupId, String userId, long readSeq, Instant readAt) {}
