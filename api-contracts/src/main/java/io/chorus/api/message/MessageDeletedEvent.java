package io.chorus.api.message;

import io.chorus.api.GroupEvent;
import java.time.Instant;
import org.axonframework.serialization.Revision;

/** The text of the message at {@code messageSeq} was removed; the message keeps its seq. */
@Revision("1")
public record MessageDeletedEvent(String groupId, long seq, long messageSeq, String deletedBy, Instant deletedAt)
        implements GroupEvent {}
