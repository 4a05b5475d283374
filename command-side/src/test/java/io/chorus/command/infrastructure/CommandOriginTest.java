package io.chorus.command.infrastructure;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.eventhandling.GenericEventMessage;
import org.axonframework.messaging.MetaData;
import org.junit.jupiter.api.Test;

class CommandOriginTest {

    private final CommandOrigin origin = new CommandOrigin();

    @Test
    void aCommandPassesItsIdAndTraceOnToWhatItApplies() {
        // given a command that is part of a trace begun elsewhere
        GenericCommandMessage<String> command =
                new GenericCommandMessage<>("send").andMetaData(Map.of("traceId", "trace-1", "unrelated", "x"));

        // when
        Map<String, ?> data = origin.correlationDataFor(command);

        // then
        assertThat(Map.<String, Object>copyOf(data))
                .isEqualTo(Map.of("correlationId", command.getIdentifier(), "traceId", "trace-1"));
    }

    @Test
    void anEventPassesNothingOnAndItsMetaDataIsNotRead() {
        // given an event read from the store, whose metadata would have to be deserialized to be read
        GenericEventMessage<String> event = new GenericEventMessage<>("sent") {
            @Override
            public MetaData getMetaData() {
                throw new AssertionError("an event's metadata was read");
            }
        };

        // when
        Map<String, ?> data = origin.correlationDataFor(event);

        // then
        assertThat(data).isEmpty();
    }
}
