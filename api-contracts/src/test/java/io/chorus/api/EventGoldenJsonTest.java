package io.chorus.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.chorus.api.group.GroupArchivedEvent;
import io.chorus.api.group.GroupCreatedEvent;
import io.chorus.api.group.GroupRenamedEvent;
import io.chorus.api.group.GroupUnarchivedEvent;
import io.chorus.api.group.MemberJoinedEvent;
import io.chorus.api.group.MemberLeftEvent;
import io.chorus.api.group.MemberRemovedEvent;
import io.chorus.api.group.MemberUnbannedEvent;
import io.chorus.api.group.Role;
import io.chorus.api.group.RoleChangedEvent;
import io.chorus.api.group.TopicChangedEvent;
import io.chorus.api.group.Visibility;
import io.chorus.api.message.MessageDeletedEvent;
import io.chorus.api.message.MessageEditedEvent;
import io.chorus.api.message.MessageSentEvent;
import io.chorus.api.message.ReadMarkerMovedEvent;
import io.chorus.api.schema.EventTypes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.axonframework.serialization.Revision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pins the serialized form of every event revision. A failing test here means stored events would no longer
 * read back: add a new revision and an upcaster instead of editing the fixture.
 */
class EventGoldenJsonTest {

    private static final Instant AT = Instant.parse("2026-01-02T03:04:05.678Z");

    /** Configured as Spring Boot configures the ObjectMapper that Axon's Jackson serializer uses. */
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .build();

    static Stream<Object> events() {
        return Stream.of(
                new ReadMarkerMovedEvent("g-1", "bob", 7, AT),
                new GroupCreatedEvent("g-1", 1, "Design", Visibility.OPEN, "alice", AT),
                new MemberJoinedEvent("g-1", 2, "bob", Role.MEMBER, null, AT),
                new MemberLeftEvent("g-1", 3, "bob", AT),
                new MemberRemovedEvent("g-1", 4, "carol", "alice", true, true, AT),
                new MemberUnbannedEvent("g-1", 5, "carol", "alice", AT),
                new RoleChangedEvent("g-1", 6, "dave", Role.ADMIN, "alice", AT),
                new GroupRenamedEvent("g-1", 7, "Design team", "alice", AT),
                new TopicChangedEvent("g-1", 8, "Sprint 12: the new onboarding", "dave", AT),
                new GroupArchivedEvent("g-1", 9, "alice", AT),
                new GroupUnarchivedEvent("g-1", 10, "alice", AT),
                new MessageSentEvent(
                        "g-1", 7, "3f1c2a9e-0b5d-3e7a-9c1d-2b4e6f8a0c1e", "c-1", "alice", "hello\nworld", 2L, AT),
                new MessageEditedEvent("g-1", 8, 7, "alice", "hello, world", AT),
                new MessageDeletedEvent("g-1", 9, 7, "alice", AT));
    }

    @ParameterizedTest
    @MethodSource("events")
    void serializedFormMatchesTheGoldenFixture(Object event) throws IOException {
        // given
        JsonNode golden = readFixture(event.getClass());

        // when
        JsonNode serialized = MAPPER.readTree(MAPPER.writeValueAsString(event));

        // then
        assertThat(serialized).isEqualTo(golden);
    }

    @ParameterizedTest
    @MethodSource("events")
    void goldenFixtureReadsBackAsTheEvent(Object event) throws IOException {
        // given
        JsonNode golden = readFixture(event.getClass());

        // when
        Object read = MAPPER.treeToValue(golden, event.getClass());

        // then
        assertThat(read).isEqualTo(event);
    }

    @ParameterizedTest
    @MethodSource("events")
    void everyEventIsRevisionOne(Object event) {
        assertThat(event.getClass().getAnnotation(Revision.class))
                .extracting(Revision::value)
                .isEqualTo("1");
    }

    @Test
    void everyEventTypeHasASample() throws Exception {
        // given every class of the contract that is an event
        Path classes = Path.of(GroupEvent.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        Set<Class<?>> eventTypes = new HashSet<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name =
                        classes.relativize(file).toString().replace('/', '.').replace(".class", "");
                Class<?> type = Class.forName(name);
                if (type.isAnnotationPresent(Revision.class)) {
                    eventTypes.add(type);
                }
            }
        }

        // when
        Set<Class<?>> sampled = events().<Class<?>>map(Object::getClass).collect(Collectors.toSet());

        // then
        assertThat(eventTypes).isNotEmpty();
        assertThat(sampled).isEqualTo(eventTypes);
        assertThat(EventTypes.all().stream().map(EventTypes.EventType::payloadType))
                .containsExactlyInAnyOrderElementsOf(eventTypes);
    }

    private static JsonNode readFixture(Class<?> type) throws IOException {
        String name = "/events/" + type.getSimpleName() + ".v1.json";
        try (InputStream in = EventGoldenJsonTest.class.getResourceAsStream(name)) {
            assertThat(in).as("golden fixture %s", name).isNotNull();
            return MAPPER.readTree(in);
        }
    }
}
