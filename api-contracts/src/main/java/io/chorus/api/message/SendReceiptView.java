package io.chorus.api.message;

import java.time.Instant;

/**
 * The answer to a {@link SendMessageCommand}: where the message landed. {@code duplicate} is true when the send
 * repeated an earlier one with the same client message id, in which case nothing new was stored and the original
 * seq, id and time are returned.
 */
public record SendReceiptView(long seq, String messageId, Instant sentAt, boolean duplicate) {}
