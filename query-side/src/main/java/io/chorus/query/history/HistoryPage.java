package io.chorus.query.history;

import java.util.List;

/**
 * A page of messages in ascending seq, whether more lie beyond it in the page's direction, and the group's last seq
 * the read model had applied when it was read (what the page is consistent with).
 */
public record HistoryPage(List<MessageView> messages, boolean hasMore, long lastSeq) {}
