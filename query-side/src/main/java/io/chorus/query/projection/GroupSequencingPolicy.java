package io.chorus.query.projection;

import io.chorus.api.GroupEvent;
import io.chorus.api.message.ReadMarkerMovedEvent;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.async.SequencingPolicy;
import org.axonframework.eventhandling.async.SequentialPerAggregatePolicy;
import org.springframework.stereotype.Component;

/**
 * Every event of a group, read markers included, in the group's sequence (and so in one segment of a pooled
 * processor). Axon's default sequences a read marker (not an aggregate event) by its own id, which sent two markers of
 * one member to two segments whose transactions then deadlocked on the same row.
 */
@Component("groupSequencingPolicy")
public class GroupSequencingPolicy implements SequencingPolicy<EventMessage<?>> {

    @Override
    public Object getSequenceIdentifierFor(EventMessage<?> event) {
        if (event.getPayload() instanceof GroupEvent groupEvent) {
            return groupEvent.groupId();
        }
        if (event.getPayload() instanceof ReadMarkerMovedEvent marker) {
            return marker.groupId();
        }
        return SequentialPerAggregatePolicy.instance().getSequenceIdentifierFor(event);
    }
}
