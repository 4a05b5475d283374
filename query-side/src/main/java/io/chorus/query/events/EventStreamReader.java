package io.chorus.query.events;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.axonframework.common.stream.BlockingStream;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.springframework.stereotype.Component;

/**
 * Reads the integrator stream from the event store: the same commit-ordered, never-skipping stream the projections
 * follow (or Axon Server's, in the distributed mode). Only committed events are ever returned, in stream order.
 */
@Component
class EventStreamReader {

    private final EventStore eventStore;
    private final EventStreamProperties properties;

    EventStreamReader(EventStore eventStore, EventStreamProperties properties) {
        this.eventStore = eventStore;
        this.properties = properties;
    }

    /** {@code last}: the token of {@code next}, where a following read starts. */
    record Page(List<IntegratorEvent> events, String next, TrackingToken last) {}

    /**
     * Up to {@code limit} events after {@code after} (null: from the first event) that pass the filter. {@code next}
     * is where the following poll goes on: after the last event looked at, which may lie beyond the last one returned
     * when a filter left events out; unchanged when there was nothing new.
     */
    Page poll(TrackingToken after, int limit, EventFilter filter, long waitMillis) throws InterruptedException {
        List<IntegratorEvent> events = new ArrayList<>();
        TrackingToken last = after;
        int scanned = 0;
        try (BlockingStream<TrackedEventMessage<?>> stream = eventStore.openStream(after)) {
            long wait = waitMillis;
            while (events.size() < limit && scanned < properties.scanLimit()) {
                if (!stream.hasNextAvailable((int) Math.min(wait, Integer.MAX_VALUE), TimeUnit.MILLISECONDS)) {
                    break;
                }
                TrackedEventMessage<?> message = stream.nextAvailable();
                scanned++;
                last = message.trackingToken();
                IntegratorEvent.of(message).filter(filter::accepts).ifPresent(events::add);
                wait = 0;
            }
        }
        if (last == null) {
            last = eventStore.createTailToken();
        }
        return new Page(events, last == null ? null : StreamPositions.encode(last), last);
    }

    /** Right after every event committed so far: a stream opened there sees each one committed from now on. */
    TrackingToken head() {
        return eventStore.createHeadToken();
    }

    /** A stream from the event after {@code after} (null: from the first), blocking until events are committed. */
    BlockingStream<TrackedEventMessage<?>> follow(TrackingToken after) {
        return eventStore.openStream(after);
    }
}
