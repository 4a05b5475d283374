package io.chorus.api.message;

import io.chorus.api.GroupEvent;
import java.time.Instant;
import org.axonframework.serialization.Revision;

/** The message at {@code messageSeq} now reads {@code text}. */
@Revision("1")
public record MessageEditedEvent(
        String groupId, long seq, long messageSeq, String editorId, String text, Instant editedAt)
        implements GroupEvent {}
