package io.chorus.query.history;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Which page of a group's messages: after a seq (ascending from there), before a seq, or the newest when neither is
 * given; at most {@code limit} messages.
 */
public record PageQuery(Long after, Long before, int limit) {

    public static PageQuery newest(int limit) {
        return new PageQuery(null, null, limit);
    }

    public static PageQuery after(long seq, int limit) {
        return new PageQuery(seq, null, limit);
    }

    public static PageQuery before(long seq, int limit) {
        return new PageQuery(null, seq, limit);
    }

    /** The exclusive upper bound of a newest or before page. */
    long upperBound() {
        return before == null ? Long.MAX_VALUE : before;
    }

    /** A page's items in ascending seq, and whether more lie beyond it in the page's direction. */
    public record Slice<T>(List<T> items, boolean hasMore) {}

    /**
     * The page out of what a store returned for it: up to {@code limit + 1} items in the order they were read
     * (ascending from {@code after}, descending from {@code before} or the newest). The extra item only tells that
     * there are more; the page is returned ascending.
     */
    public <T> Slice<T> slice(List<T> read) {
        boolean hasMore = read.size() > limit;
        List<T> items = new ArrayList<>(hasMore ? read.subList(0, limit) : read);
        if (after == null) {
            Collections.reverse(items);
        }
        return new Slice<>(items, hasMore);
    }
}
