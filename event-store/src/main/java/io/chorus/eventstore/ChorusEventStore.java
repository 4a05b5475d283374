package io.chorus.eventstore;

import java.util.List;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventsourcing.eventstore.EmbeddedEventStore;

/**
 * Axon's embedded event store that can be woken from outside: by a notice that another process appended (see
 * {@link EventStreamListener}), and that tells other processes of its own appends (see
 * {@link EventStreamNotifier}). Without a wake-up its reader polls every fetch delay, the safety net if a notice
 * is lost.
 */
public class ChorusEventStore extends EmbeddedEventStore {

    private final EventStreamNotifier notifier;

    protected ChorusEventStore(Builder builder, EventStreamNotifier notifier) {
        super(builder);
        this.notifier = notifier;
    }

    public static ChorusEventStore create(Builder builder, EventStreamNotifier notifier) {
        return new ChorusEventStore(builder, notifier);
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
}
