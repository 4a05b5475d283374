package io.chorus.eventstore;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingEventStream;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventsourcing.eventstore.EmbeddedEventStore;

/**
 * Axon's embedded event store that can be woken from outside: by a notice that another process appended (see
 * {@link EventStreamListener}), and that tells other processes of its own appends (see
 * {@link EventStreamNotifier}). Without a wake-up its reader polls every fetch delay, the safety net if a notice
 * is lost.
 *
 * <p>Each stream it opens also waits at most one fetch delay at a time for Axon's signal before it looks for
 * itself. Axon's stream can miss that signal: it checks for an event before it starts to wait, so an event
 * published in between is only seen at the next signal; and a stream reading on its own (not from the shared
 * cache) is only signalled while another stream shares the cache. Either would otherwise keep a reader waiting
 * for its whole timeout (a long poll) with the event already there.
 */
public class ChorusEventStore extends EmbeddedEventStore {

    private final EventStreamNotifier notifier;
    private final int maxWaitMillis;

    protected ChorusEventStore(Builder builder, EventStreamNotifier notifier, Duration fetchDelay) {
        super(builder);
        this.notifier = notifier;
        this.maxWaitMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, fetchDelay.toMillis()));
    }

    /** {@code fetchDelay} must be the one {@code builder} was given. */
    public static ChorusEventStore create(Builder builder, EventStreamNotifier notifier, Duration fetchDelay) {
        return new ChorusEventStore(builder, notifier, fetchDelay);
    }

    /** Makes the reader look for new events now, if it is waiting. */
    public void wake() {
        super.afterCommit(List.of());
    }

    @Override
    protected void afterCommit(List<? extends EventMessage<?>> events) {
        super.afterCommit(events);
        notifier.appended();
    }

    @Override
    public TrackingEventStream openStream(TrackingToken trackingToken) {
        return new BoundedWaits(super.openStream(trackingToken), maxWaitMillis);
    }

    /** Axon's stream, whose waits are cut into pieces of at most {@code maxWaitMillis}. */
    private record BoundedWaits(TrackingEventStream stream, int maxWaitMillis) implements TrackingEventStream {

        @Override
        public boolean hasNextAvailable(int timeout, TimeUnit unit) throws InterruptedException {
            long deadline = System.nanoTime() + unit.toNanos(timeout);
            long left = unit.toMillis(timeout);
            while (true) {
                if (stream.hasNextAvailable((int) Math.min(left, maxWaitMillis), TimeUnit.MILLISECONDS)) {
                    return true;
                }
                left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
            }
        }

        @Override
        public TrackedEventMessage<?> nextAvailable() throws InterruptedException {
            while (!stream.hasNextAvailable(maxWaitMillis, TimeUnit.MILLISECONDS)) {
                // looked again after a missed signal, as above
            }
            return stream.nextAvailable();
        }

        @Override
        public Optional<TrackedEventMessage<?>> peek() {
            return stream.peek();
        }

        @Override
        public void skipMessagesWithPayloadTypeOf(TrackedEventMessage<?> ignoredMessage) {
            stream.skipMessagesWithPayloadTypeOf(ignoredMessage);
        }

        @Override
        public boolean setOnAvailableCallback(Runnable callback) {
            return stream.setOnAvailableCallback(callback);
        }

        @Override
        public void close() {
            stream.close();
        }
    }
}
