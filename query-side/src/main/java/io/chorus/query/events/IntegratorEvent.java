package io.chorus.query.events;

import io.chorus.api.GroupEvent;
import io.chorus.api.message.ReadMarkerMovedEvent;
import io.chorus.api.schema.EventTypes;
import java.time.Instant;
import java.util.Optional;
import org.axonframework.eventhandling.TrackedEventMessage;

/**
 * One event as integrators see it (API.md, Event stream): {@code seq} is null only for {@code ReadMarkerMoved},
 * which takes no place in the group's sequence; {@code payload} is the event as stored, described by the schema of
 * its type and revision.
 */
public record IntegratorEvent(
        String position, String type, String revision, String groupId, Long seq, Instant timestamp, Object payload) {

    /** The event in integrator form, or empty when it is none of the published types. */
    static Optional<IntegratorEvent> of(TrackedEventMessage<?> message) {
        Object payload = message.getPayload();
        String groupId;
        Long seq;
        if (payload instanceof GroupEvent event) {
            groupId = event.groupId();
            seq = event.seq();
        } else if (payload instanceof ReadMarkerMovedEvent marker) {
            groupId = marker.groupId();
            seq = null;
        } else {
            return Optional.empty();
        }
        return EventTypes.byName(EventTypes.name(payload.getClass()))
                .map(type -> new IntegratorEvent(
                        StreamPositions.encode(message.trackingToken()),
                        type.name(),
                        type.revision(),
                        groupId,
                        seq,
                        message.getTimestamp(),
                        payload));
    }
}
