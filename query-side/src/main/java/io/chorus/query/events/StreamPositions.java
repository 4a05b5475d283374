package io.chorus.query.events;

import io.chorus.eventstore.CommitOrderToken;
import org.axonframework.eventhandling.GlobalSequenceTrackingToken;
import org.axonframework.eventhandling.TrackingToken;

/**
 * The integrator stream's positions: opaque to clients, a tracking token of the event store underneath.
 * {@code c.<txId>.<index>} is a place in Chorus's commit-ordered PostgreSQL stream, {@code g.<index>} one in a
 * global-sequence store (Axon Server). A position names the event it was given with; reading after it resumes
 * right behind that event.
 */
final class StreamPositions {

    private StreamPositions() {}

    static String encode(TrackingToken token) {
        if (token instanceof CommitOrderToken commit) {
            return "c." + commit.txId() + "." + commit.globalIndex();
        }
        if (token instanceof GlobalSequenceTrackingToken global) {
            return "g." + global.getGlobalIndex();
        }
        throw new IllegalArgumentException(
                "no position for a " + token.getClass().getSimpleName());
    }

    /**
     * The token a position stands for, in a commit-ordered store or (when {@code globalSequence}) a global-sequence
     * one.
     *
     * @throws IllegalArgumentException when the text is no position this server gave out
     */
    static TrackingToken decode(String position, boolean globalSequence) {
        String[] parts = position.split("\\.", -1);
        try {
            // only the kind of the store underneath: the other kind's position would reach the store as a token it
            // cannot read
            if (!globalSequence && parts.length == 3 && parts[0].equals("c")) {
                return new CommitOrderToken(nonNegative(parts[1]), nonNegative(parts[2]));
            }
            if (globalSequence && parts.length == 2 && parts[0].equals("g")) {
                return new GlobalSequenceTrackingToken(nonNegative(parts[1]));
            }
        } catch (NumberFormatException e) {
            // falls through to the refusal below
        }
        throw new IllegalArgumentException("is not a position of this stream");
    }

    private static long nonNegative(String digits) {
        long value = Long.parseLong(digits);
        if (value < 0 || !digits.equals(Long.toString(value))) {
            throw new NumberFormatException(digits);
        }
        return value;
    }
}
