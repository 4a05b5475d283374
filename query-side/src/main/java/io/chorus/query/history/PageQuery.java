package io.chorus.query.history;

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
}
