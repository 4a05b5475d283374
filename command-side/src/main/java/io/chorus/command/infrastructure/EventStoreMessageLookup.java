package io.chorus.command.infrastructure;

import io.chorus.api.message.MessageSentEvent;
import io.chorus.command.group.MessageLookup;
import java.util.Optional;
import org.axonframework.eventsourcing.eventstore.DomainEventStream;
import org.axonframework.eventsourcing.eventstore.EventStore;

/**
 * Reads the one event at a seq from the group's own stream. A group's event with seq n is its aggregate event
 * with sequence number n - 1, so this is an index lookup on (aggregate id, sequence number).
 */
public class EventStoreMessageLookup implements MessageLookup {

    private final EventStore eventStore;

    public EventStoreMessageLookup(EventStore eventStore) {
        this.eventStore = eventStore;
    }

    @Override
    public Optional<MessageSentEvent> find(String groupId, long seq) {
        if (seq < 1) {
            return Optional.empty();
        }
        DomainEventStream stream = eventStore.readEvents(groupId, seq - 1);
        if (!stream.hasNext()) {
            return Optional.empty();
        }
        Object payload = stream.next().getPayload();
        if (payload instanceof MessageSentEvent sent && sent.seq() == seq) {
            return Optional.of(sent);
        }
        return Optional.empty();
    }
}
