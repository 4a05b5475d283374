package io.chorus.eventstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.DefaultDeserializationContext;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IsoInstantDeserializerTest {

    record Stamped(String id, Instant at, List<Instant> more) {}

    record Formatted(
            @JsonFormat(pattern = "yyyy-MM-dd HH:mm", timezone = "UTC")
            Instant at) {}

    /** As Spring Boot builds it: the well-known JavaTimeModule first, then the module beans. */
    private final ObjectMapper chorus =
            new ObjectMapper().registerModule(new JavaTimeModule()).registerModule(new IsoInstantDeserializer.Module());

    private final ObjectMapper standard = new ObjectMapper().registerModule(new JavaTimeModule());

    @Test
    void theModuleTakesOverInstantsFromTheJavaTimeModule() throws Exception {
        DeserializationContext context = ((DefaultDeserializationContext) chorus.getDeserializationContext())
                .createInstance(chorus.getDeserializationConfig(), null, null);

        assertThat(context.findRootValueDeserializer(chorus.constructType(Instant.class)))
                .isInstanceOf(IsoInstantDeserializer.class);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "\"2026-11-29T16:05:12.123456Z\"", // the fast path
                "\"2026-11-29T16:05:12Z\"",
                "\"2026-11-29T17:05:12.5+01:00\"", // the rest: the standard deserializer's
                "\"2026-11-29T16:05:12.Z\"", // which takes a point without digits
                "1764432312.123456789",
                "1764432312123",
                "null"
            })
    void readsEveryFormAsTheStandardDeserializerDoes(String at) throws Exception {
        String json = "{\"id\":\"e\",\"at\":" + at + ",\"more\":[" + at + "," + at + "]}";

        assertThat(chorus.readValue(json, Stamped.class)).isEqualTo(standard.readValue(json, Stamped.class));
    }

    @Test
    void aPropertyWithAFormatOfItsOwnIsReadByThatFormat() throws Exception {
        String json = "{\"at\":\"2026-11-29 16:05\"}";

        assertThat(chorus.readValue(json, Formatted.class).at()).isEqualTo(Instant.parse("2026-11-29T16:05:00Z"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"2026-02-29T00:00:00Z\"", "\"yesterday\"", "\"2026-11-29T16:05:12,5Z\""})
    void badInputFailsWithTheStandardError(String at) {
        String json = "{\"id\":\"e\",\"at\":" + at + "}";

        assertThatThrownBy(() -> chorus.readValue(json, Stamped.class))
                .isInstanceOf(InvalidFormatException.class)
                .hasMessageContaining("java.time.Instant")
                .hasMessageContaining("at");
        assertThatThrownBy(() -> standard.readValue(json, Stamped.class)).isInstanceOf(InvalidFormatException.class);
    }
}
