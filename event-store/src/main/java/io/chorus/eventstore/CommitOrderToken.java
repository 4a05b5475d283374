package io.chorus.eventstore;

import java.util.Comparator;
import java.util.OptionalLong;
import org.axonframework.eventhandling.TrackingToken;

/**
 * A position in the commit-ordered event stream: after the event written by transaction {@code txId} with
 * global index {@code globalIndex}. Positions are totally ordered by (txId, globalIndex), and every event before
 * a position is final once the position has been read, so a token needs no gaps.
 */
public record CommitOrderToken(long txId, long globalIndex) implements TrackingToken, Comparable<CommitOrderToken> {

    /** Before every event. */
    public static final CommitOrderToken TAIL = new CommitOrderToken(0, 0);

    private static final Comparator<CommitOrderToken> ORDER =
            Comparator.comparingLong(CommitOrderToken::txId).thenComparingLong(CommitOrderToken::globalIndex);

    @Override
    public int compareTo(CommitOrderToken other) {
        return ORDER.compare(this, other);
    }

    @Override
    public TrackingToken lowerBound(TrackingToken other) {
        CommitOrderToken that = cast(other);
        return compareTo(that) <= 0 ? this : that;
    }

    @Override
    public TrackingToken upperBound(TrackingToken other) {
        CommitOrderToken that = cast(other);
        return compareTo(that) >= 0 ? this : that;
    }

    @Override
    public boolean covers(TrackingToken other) {
        return other == null || compareTo(cast(other)) >= 0;
    }

    /**
     * The global index of the last event read. Used by Axon for progress and lag only; it grows with the stream but
     * not strictly (a late commit can carry a lower index).
     */
    @Override
    public OptionalLong position() {
        return OptionalLong.of(globalIndex);
    }

    private static CommitOrderToken cast(TrackingToken other) {
        if (other instanceof CommitOrderToken token) {
            return token;
        }
        throw new IllegalArgumentException("expected a CommitOrderToken, got " + other);
    }
}
