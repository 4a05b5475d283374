package io.chorus.push;

import io.chorus.api.GroupEvent;
import io.chorus.api.message.MessageSentEvent;
import java.util.List;
import java.util.function.Consumer;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.springframework.stereotype.Component;

/**
 * Takes the events that the event store found committed but held back in the stream behind an older open transaction
 * (any transaction of the database that holds a transaction id, a projection's batch say), and delivers each to the
 * subscribers for whom it is the next seq of its group, without waiting for that transaction. The stream stays the
 * source of truth: it brings every event again once final, in order, and {@link GroupFanOut} sends what was not sent.
 * Wired to the PostgreSQL event store by the app; with Axon Server nothing is held back and this is not used.
 */
@Component
public class CommittedAheadPush implements Consumer<List<TrackedEventMessage<?>>> {

    private final GroupSubscriptions subscriptions;

    CommittedAheadPush(GroupSubscriptions subscriptions) {
        this.subscriptions = subscriptions;
    }

    @Override
    public void accept(List<TrackedEventMessage<?>> events) {
        for (TrackedEventMessage<?> event : events) {
            if (event.getPayload() instanceof GroupEvent groupEvent) {
                subscriptions.publishAhead(
                        groupEvent,
                        groupEvent instanceof MessageSentEvent sent
                                ? sent.sentAt().toEpochMilli()
                                : 0);
            }
        }
    }
}
