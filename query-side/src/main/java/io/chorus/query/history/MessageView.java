package io.chorus.query.history;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * A message as API.md's {@code Message}; {@code replyToSeq} and {@code editedAt} only when set; a deleted message
 * keeps its seq with {@code text} null.
 */
public record MessageView(
        String groupId,
        long seq,
        String messageId,
        String clientMessageId,
        String senderId,
        String text,
        Instant sentAt,
        @JsonInclude(JsonInclude.Include.NON_NULL) Long replyToSeq,
        @JsonInclude(JsonInclude.Include.NON_NULL) Instant editedAt,
        boolean deleted) {}
