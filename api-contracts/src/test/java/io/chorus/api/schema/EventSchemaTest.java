package io.chorus.api.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The published payload schemas describe exactly the events: every golden fixture is valid, and they are strict. */
class EventSchemaTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private static final SchemaValidatorsConfig CONFIG =
            SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();

    static Set<EventTypes.EventType> types() {
        return Set.copyOf(EventTypes.all());
    }

    @ParameterizedTest
    @MethodSource("types")
    void theGoldenFixtureIsValid(EventTypes.EventType type) throws IOException {
        // given
        JsonSchema schema = schema(type.schemaFile());

        // when
        Set<ValidationMessage> errors = schema.validate(fixture(type));

        // then
        assertThat(errors).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("types")
    void theSchemaNamesEveryFieldOfTheEventAndNoOther(EventTypes.EventType type) throws IOException {
        // given
        Set<String> components = Arrays.stream(type.payloadType().getRecordComponents())
                .map(RecordComponent::getName)
                .collect(Collectors.toSet());

        // when
        JsonNode document = document(type.schemaFile());
        Set<String> properties = new HashSet<>();
        document.get("properties").fieldNames().forEachRemaining(properties::add);
        Set<String> required = new HashSet<>();
        document.get("required").forEach(name -> required.add(name.asText()));

        // then
        assertThat(properties).isEqualTo(components);
        assertThat(required).isEqualTo(components);
        assertThat(document.get("additionalProperties").asBoolean(true)).isFalse();
    }

    @ParameterizedTest
    @MethodSource("types")
    void aPayloadMissingAFieldWithAnExtraFieldOrABadTimeIsInvalid(EventTypes.EventType type) throws IOException {
        // given
        JsonSchema schema = schema(type.schemaFile());
        ObjectNode missing = (ObjectNode) fixture(type);
        missing.remove("groupId");
        ObjectNode extra = (ObjectNode) fixture(type);
        extra.put("unexpected", 1);
        ObjectNode badTime = (ObjectNode) fixture(type);
        String timeField = Arrays.stream(type.payloadType().getRecordComponents())
                .filter(component -> component.getType() == Instant.class)
                .findFirst()
                .orElseThrow()
                .getName();
        badTime.put(timeField, "yesterday");

        // then
        assertThat(schema.validate(missing)).isNotEmpty();
        assertThat(schema.validate(extra)).isNotEmpty();
        assertThat(schema.validate(badTime)).isNotEmpty();
    }

    @Test
    void theEnvelopeSchemaListsEveryTypeAndRejectsAnUnknownOne() throws IOException {
        // given
        JsonSchema envelope = schema(EventTypes.ENVELOPE_SCHEMA);
        ObjectNode event = JSON.createObjectNode();
        event.put("position", "c.1.1");
        event.put("type", "MessageSent");
        event.put("revision", "1");
        event.put("groupId", "g-1");
        event.put("seq", 7);
        event.put("timestamp", "2026-01-02T03:04:05.678Z");
        event.set("payload", JSON.createObjectNode());
        Set<String> listed = new HashSet<>();
        document(EventTypes.ENVELOPE_SCHEMA).at("/properties/type/enum").forEach(name -> listed.add(name.asText()));

        // when
        Set<ValidationMessage> valid = envelope.validate(event);
        event.put("type", "Unknown");
        Set<ValidationMessage> unknownType = envelope.validate(event);

        // then
        assertThat(valid).isEmpty();
        assertThat(unknownType).isNotEmpty();
        assertThat(listed)
                .isEqualTo(EventTypes.all().stream()
                        .map(EventTypes.EventType::name)
                        .collect(Collectors.toSet()));
    }

    private static JsonSchema schema(String file) throws IOException {
        return FACTORY.getSchema(document(file), CONFIG);
    }

    private static JsonNode document(String file) throws IOException {
        try (InputStream in = EventTypes.class.getClassLoader().getResourceAsStream(EventTypes.SCHEMA_FOLDER + file)) {
            assertThat(in).as("schema %s", file).isNotNull();
            return JSON.readTree(in);
        }
    }

    private static JsonNode fixture(EventTypes.EventType type) throws IOException {
        String name = "/events/" + type.payloadType().getSimpleName() + ".v" + type.revision() + ".json";
        try (InputStream in = EventSchemaTest.class.getResourceAsStream(name)) {
            assertThat(in).as("golden fixture %s", name).isNotNull();
            return JSON.readTree(in);
        }
    }
}
