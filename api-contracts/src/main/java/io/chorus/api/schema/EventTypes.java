package io.chorus.api.schema;

import io.chorus.api.group.GroupArchivedEvent;
import io.chorus.api.group.GroupCreatedEvent;
import io.chorus.api.group.GroupRenamedEvent;
import io.chorus.api.group.GroupUnarchivedEvent;
import io.chorus.api.group.MemberJoinedEvent;
import io.chorus.api.group.MemberLeftEvent;
import io.chorus.api.group.MemberRemovedEvent;
import io.chorus.api.group.MemberUnbannedEvent;
import io.chorus.api.group.RoleChangedEvent;
import io.chorus.api.group.TopicChangedEvent;
import io.chorus.api.message.MessageDeletedEvent;
import io.chorus.api.message.MessageEditedEvent;
import io.chorus.api.message.MessageSentEvent;
import io.chorus.api.message.ReadMarkerMovedEvent;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.axonframework.serialization.Revision;

/**
 * The events Chorus publishes to integrators, by the name they carry on the wire ({@code MessageSent}, …), each
 * with the JSON Schema of its payload. The schemas lie beside this class: {@code <type>.v<revision>.schema.json},
 * and {@code Event.schema.json} for the envelope of the event stream.
 */
public final class EventTypes {

    /** The resource folder of the schemas, for class-path lookups. */
    public static final String SCHEMA_FOLDER = "io/chorus/api/schema/";

    /** The envelope's schema file name. */
    public static final String ENVELOPE_SCHEMA = "Event.schema.json";

    /** One event type: its wire name, payload class and current revision. */
    public record EventType(String name, Class<?> payloadType, String revision) {

        /** The file name of this type's payload schema. */
        public String schemaFile() {
            return name + ".v" + revision + ".schema.json";
        }
    }

    private static final List<EventType> ALL = List.of(
                    GroupCreatedEvent.class,
                    MemberJoinedEvent.class,
                    MemberLeftEvent.class,
                    MemberRemovedEvent.class,
                    MemberUnbannedEvent.class,
                    RoleChangedEvent.class,
                    GroupRenamedEvent.class,
                    TopicChangedEvent.class,
                    GroupArchivedEvent.class,
                    GroupUnarchivedEvent.class,
                    MessageSentEvent.class,
                    MessageEditedEvent.class,
                    MessageDeletedEvent.class,
                    ReadMarkerMovedEvent.class)
            .stream()
            .map(type -> new EventType(name(type), type, revision(type)))
            .toList();

    private static final Map<String, EventType> BY_NAME =
            ALL.stream().collect(Collectors.toUnmodifiableMap(EventType::name, Function.identity()));

    private EventTypes() {}

    public static List<EventType> all() {
        return ALL;
    }

    public static Optional<EventType> byName(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    /** The wire name of an event class: its simple name without the "Event" suffix. */
    public static String name(Class<?> payloadType) {
        String name = payloadType.getSimpleName();
        return name.endsWith("Event") ? name.substring(0, name.length() - "Event".length()) : name;
    }

    /** The class's {@link Revision}, "1" when it has none. */
    public static String revision(Class<?> payloadType) {
        Revision revision = payloadType.getAnnotation(Revision.class);
        return revision == null ? "1" : revision.value();
    }
}
