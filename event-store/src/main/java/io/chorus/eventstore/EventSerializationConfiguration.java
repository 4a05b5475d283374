package io.chorus.eventstore;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * What every Chorus process adds to Spring Boot's ObjectMapper, which Axon's Jackson serializer uses for events,
 * snapshots and messages: Spring Boot registers module beans after its well-known modules.
 */
@Configuration
public class EventSerializationConfiguration {

    /** Instants in the form Chorus writes them, read without a {@code DateTimeFormatter} ({@link IsoInstants}). */
    @Bean
    IsoInstantDeserializer.Module isoInstantModule() {
        return new IsoInstantDeserializer.Module();
    }
}
